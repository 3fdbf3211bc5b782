import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// Finds the primary of a Redis Sentinel setup (`SENTINEL GET-MASTER-ADDR-BY-NAME`) for ``RedisClient`` and
/// ``RedisSubscriber`` (an address source, asked before every connect), and, as a `Service`, asks the sentinels
/// every `checkInterval` whether the primary moved (`+switch-master`): when it did, `onSwitch` is called so
/// that the owner closes its connections, which then reconnect to the new primary.
public final class RedisSentinelResolver: RedisAddressSource, Service {
    private let configuration: RedisSentinelConfiguration
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let known = Mutex<RedisServerAddress?>(nil)
    private let onSwitch = Mutex<[@Sendable (RedisServerAddress) -> Void]>([])

    public init(configuration: RedisSentinelConfiguration, eventLoopGroup: any EventLoopGroup, logger: Logger) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    /// Calls `handler` with the new primary each time the sentinels name another one.
    public func onPrimarySwitch(_ handler: @escaping @Sendable (RedisServerAddress) -> Void) {
        onSwitch.withLock { $0.append(handler) }
    }

    /// The primary the sentinels name now. Throws ``RedisError/Code/invalidConfiguration`` when a sentinel
    /// answers that it does not monitor the master name, ``RedisError/Code/authentication`` when no sentinel
    /// answers and one refused the sentinel credentials (or wants some), ``RedisError/Code/connectionUnavailable``
    /// when no sentinel answers.
    public func currentAddress() async throws -> RedisServerAddress {
        try configuration.validate()
        var failures: [String] = []
        var refused = false
        for sentinel in configuration.sentinels {
            do {
                let address = try await ask(sentinel)
                known.withLock { $0 = address }
                return address
            } catch let error as RedisError where error.code == .invalidConfiguration {
                throw error
            } catch {
                refused = refused || (error as? RedisError)?.code == .authentication
                failures.append("\(sentinel): \((error as? RedisError)?.message ?? "\(error)")")
            }
        }
        // why: credentials are what the operator must fix; a sentinel that is merely down says less.
        if refused {
            let given = configuration.sentinelPassword == nil ? "none was given" : "a sentinel refused the one given"
            throw RedisError(.authentication, message: "check the sentinels' own password (requirepass in sentinel.conf, not the primary's); \(given): \(failures.joined(separator: "; "))")
        }
        throw RedisError(.connectionUnavailable, message: "no Redis Sentinel answered: \(failures.joined(separator: "; "))")
    }

    private func ask(_ sentinel: RedisServerAddress) async throws -> RedisServerAddress {
        let connection = try await RedisConnection.connect(
            configuration: configuration.sentinelConfiguration(sentinel), eventLoop: eventLoopGroup.any(), logger: logger
        )
        let reply: RESPValue
        do {
            reply = try await connection.send(RedisCommand("SENTINEL", "GET-MASTER-ADDR-BY-NAME", configuration.masterName))
            await connection.close()
        } catch {
            await connection.close()
            throw error
        }
        switch reply {
        case .null:
            throw RedisError(.invalidConfiguration, message: "the Redis Sentinel at \(sentinel) does not monitor a master named \"\(configuration.masterName)\"; check the master name (sentinel monitor <name> …)")
        case .error(let message):
            throw RedisError(.server, message: "the Redis Sentinel at \(sentinel) answered: \(message)")
        default:
            guard let parts = reply.array, parts.count == 2, let host = parts[0].string, let port = parts[1].int else {
                throw RedisError(.protocolError, message: "the Redis Sentinel at \(sentinel) answered GET-MASTER-ADDR-BY-NAME with \(reply)")
            }
            return RedisServerAddress(host: host, port: Int(port))
        }
    }

    /// Asks the sentinels every `checkInterval` until graceful shutdown, and reports a switch of primary.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: .nanoseconds(self.configuration.checkInterval.nanoseconds))
                } catch {
                    return
                }
                let previous = self.known.withLock { $0 }
                guard let current = try? await self.currentAddress(), let previous, current != previous else { continue }
                self.logger.warning("redis sentinel switched the primary", metadata: [
                    RedisMetadataKey.server: "\(current)", RedisMetadataKey.reason: "was \(previous)",
                ])
                for handler in self.onSwitch.withLock({ $0 }) { handler(current) }
            }
        }
    }
}
