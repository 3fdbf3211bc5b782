import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// Finds the primary of a Redis Sentinel setup (`SENTINEL GET-MASTER-ADDR-BY-NAME`) for ``RedisClient`` and
/// ``RedisSubscriber`` (an address source, asked before every connect), and, as a `Service`, follows a switch
/// of primary: it subscribes to every sentinel's `+switch-master` channel, and asks the sentinels again at
/// once when one announces a switch of its master name, and every `checkInterval` in case an announcement was
/// missed (a sentinel connection down at the time). When the primary moved, `onSwitch` is called so that the
/// owner closes its connections, which then reconnect to the new primary.
public final class RedisSentinelResolver: RedisAddressSource, Service {
    private let configuration: RedisSentinelConfiguration
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let known = Mutex<RedisServerAddress?>(nil)
    /// The primary last reported to `onSwitch` (or found at startup).
    private let reported = Mutex<RedisServerAddress?>(nil)
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

    /// Follows the primary until graceful shutdown: subscribed to `+switch-master` on every sentinel, and
    /// asking every `checkInterval`; reports each switch once.
    public func run() async throws {
        reported.withLock { $0 = known.withLock { $0 } }
        let announcements = configuration.sentinels.map { sentinel in
            RedisSubscriber(
                configuration: configuration.sentinelConfiguration(sentinel), eventLoopGroup: eventLoopGroup, logger: logger,
                onMessages: { [weak self] messages in self?.announced(messages) },
                kind: .plain
            )
        }
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for subscriber in announcements {
                    group.addTask { try? await subscriber.run() }
                    group.addTask { await Self.subscribeToSwitches(subscriber) }
                }
                group.addTask {
                    while !Task.isCancelled {
                        do {
                            try await Task.sleep(for: .nanoseconds(self.configuration.checkInterval.nanoseconds))
                        } catch {
                            return
                        }
                        await self.checkForSwitch()
                    }
                }
            }
        }
    }

    /// Subscribes `subscriber` to `+switch-master`, retrying (backing off to once a second) until it is, as a
    /// sentinel may not answer yet; once subscribed, the subscriber keeps it across reconnects. Until then the
    /// periodic check covers that sentinel.
    private static func subscribeToSwitches(_ subscriber: RedisSubscriber) async {
        var delay = Duration.milliseconds(50)
        while !Task.isCancelled {
            do {
                return try await subscriber.subscribe(to: switchChannel)
            } catch {
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(1))
            }
        }
    }

    /// Sentinel's channel announcing a new primary: `<master name> <old ip> <old port> <new ip> <new port>`.
    static let switchChannel = "+switch-master"

    private func announced(_ messages: [RedisPubSubMessage]) {
        let prefix = configuration.masterName + " "
        guard messages.contains(where: { $0.channel == Self.switchChannel && String(buffer: $0.payload).hasPrefix(prefix) }) else { return }
        // why: the announcement names the new primary, but asking the sentinels is the one source of truth,
        // shared with the periodic check; it costs one round trip.
        Task { await checkForSwitch() }
    }

    /// Asks the sentinels for the primary and calls the `onSwitch` handlers if it is not the one last reported.
    private func checkForSwitch() async {
        guard let current = try? await currentAddress() else { return }
        let previous: RedisServerAddress? = reported.withLock { reported in
            defer { reported = current }
            return reported
        }
        guard let previous, current != previous else { return }
        logger.warning("redis sentinel switched the primary", metadata: [
            RedisMetadataKey.server: "\(current)", RedisMetadataKey.reason: "was \(previous)",
        ])
        for handler in onSwitch.withLock({ $0 }) { handler(current) }
    }
}
