import HeraldCore
import Logging
import NIOCore
import Redis
import ServiceLifecycle
import Synchronization

/// The broker for many nodes: each topic's history is a Redis stream, live delivery is sharded pub/sub.
///
/// Publishing runs one Lua script per event (append with retention + publish, atomically), pipelined for
/// a batch. Each node holds one subscriber connection, subscribed to a topic's channel while the node has
/// at least one stream on that topic, and hands received events to its `FanOut` in arrival order.
/// Run `services` (command connections, then the subscriber) in the node's `ServiceGroup`.
public final class RedisBroker: Broker {
    public let name = "redis"
    private let configuration: RedisBrokerConfiguration
    private let client: RedisClient
    private let subscriber: RedisSubscriber
    private let logger: Logger
    private let scriptHashes = Mutex<[String: String]>([:])

    /// The long-running parts to add to the node's service group.
    public var services: [any Service] { [client, subscriber] }

    public init(configuration: RedisBrokerConfiguration, fanOut: FanOut, eventLoopGroup: any EventLoopGroup, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        self.client = RedisClient(configuration: configuration.connection, eventLoopGroup: eventLoopGroup, logger: logger)
        let prefix = configuration.keyPrefix
        self.subscriber = RedisSubscriber(
            configuration: configuration.connection,
            eventLoopGroup: eventLoopGroup,
            logger: logger,
            onMessages: { messages in
                fanOut.dispatch(messages.compactMap { message in
                    Keys.topic(ofChannel: message.channel, prefix: prefix).flatMap { Envelope.decode(message.payload, topic: $0) }
                })
            },
            onResubscribed: { channels in
                // why: events published while the subscriber was disconnected never reached this node; the
                // streams of those topics close (spread over a second) and their clients resume exactly from
                // their cursors, on this node or another.
                let topics = channels.compactMap { Keys.topic(ofChannel: $0, prefix: prefix) }
                fanOut.closeSessions(subscribedTo: Set(topics), spreadOver: .seconds(1))
            }
        )
    }

    public func publish(_ events: [NewEvent]) async throws -> [TopicPosition] {
        let retention = configuration.retention
        let maxAge = retention.maxAge.map { $0 / .milliseconds(1) } ?? 0
        let metaTTL = max(Int64(maxAge), Int64(configuration.metaTimeToLive / .milliseconds(1)))
        let replies = try await runScript(Script.publish) { sha in
            events.map { event in
                let keys = Keys(prefix: configuration.keyPrefix, topic: event.topic)
                return RedisCommand("EVALSHA", [
                    .string(sha), .string("3"), .string(keys.stream), .string(keys.meta), .string(keys.channel),
                    .string(String(retention.maxLength)), .string(String(Int64(maxAge))), .string(String(metaTTL)),
                    .string(event.type ?? ""), .bytes(event.data),
                ])
            }
        }
        return try replies.map { reply in
            guard let parts = reply.array, parts.count == 2,
                  let epoch = parts[0].string.flatMap(UInt32.init), let id = parts[1].string.flatMap(StreamID.init)
            else { throw Self.unexpected(reply, "publish") }
            return TopicPosition(epoch: epoch, id: id)
        }
    }

    public func history(of topic: Topic, after: StreamID?, limit: Int) async throws -> TopicHistory {
        let keys = Keys(prefix: configuration.keyPrefix, topic: topic)
        let replies = try await runScript(Script.read) { sha in
            [RedisCommand("EVALSHA", [.string(sha), .string("2"), .string(keys.stream), .string(keys.meta), .string(after?.description ?? ""), .string(String(max(limit, 1)))])]
        }
        guard let parts = replies.first?.array else { throw Self.unexpected(replies.first ?? .null, "history") }
        guard !parts.isEmpty else { return .empty }
        guard parts.count >= 2, let epoch = parts[0].string.flatMap(UInt32.init), let last = parts[1].string.flatMap(StreamID.init) else {
            throw Self.unexpected(.array(parts), "history")
        }
        let entries = parts.count > 2 ? (parts[2].array ?? []) : []
        let events = try entries.map { entry in
            guard let fields = entry.array, fields.count == 2, let id = fields[0].string.flatMap(StreamID.init), let values = fields[1].array else {
                throw Self.unexpected(entry, "history entry")
            }
            var type: String?
            var data = ByteBuffer()
            for pair in stride(from: 0, to: values.count - 1, by: 2) {
                switch values[pair].string {
                case "e": type = values[pair + 1].string.flatMap { $0.isEmpty ? nil : $0 }
                case "d": data = values[pair + 1].bytes ?? ByteBuffer()
                default: break
                }
            }
            return StoredEvent(topic: topic, position: TopicPosition(epoch: epoch, id: id), type: type, data: data)
        }
        return TopicHistory(epoch: epoch, last: last, events: events)
    }

    public func subscribe(to topics: [Topic]) async throws -> BrokerSubscription {
        let channels = topics.map { Keys(prefix: configuration.keyPrefix, topic: $0).channel }
        var subscribed: [String] = []
        do {
            for channel in channels {
                try await subscriber.subscribe(to: channel)
                subscribed.append(channel)
            }
        } catch {
            for channel in subscribed { subscriber.unsubscribe(from: channel) }
            throw Self.translate(error)
        }
        let subscriber = self.subscriber
        return BrokerSubscription { for channel in channels { subscriber.unsubscribe(from: channel) } }
    }

    public func checkReady() async throws {
        guard subscriber.isConnected else {
            throw HeraldError(.backendUnavailable, "the Redis subscriber connection is down; it is reconnecting")
        }
        do {
            let reply = try await client.send(RedisCommand("PING"))
            guard reply.string == "PONG" else { throw Self.unexpected(reply, "PING") }
        } catch {
            throw Self.translate(error)
        }
    }

    /// Sends the commands `make` builds for the script's hash; loads the script first if needed and again
    /// after `NOSCRIPT` (Redis restarted or flushed its scripts), resending the commands that were refused.
    private func runScript(_ source: String, _ make: (String) -> [RedisCommand]) async throws -> [RESPValue] {
        do {
            var sha = try await scriptHash(source, reload: false)
            var replies = try await client.send(make(sha))
            if let first = replies.firstIndex(where: Self.isNoScript) {
                guard replies[first...].allSatisfy(Self.isNoScript) else {
                    throw HeraldError(.backendFailure, "Redis lost its scripts in the middle of a batch; events before item \(first) were stored, retry the rest")
                }
                sha = try await scriptHash(source, reload: true)
                replies.replaceSubrange(first..., with: try await client.send(Array(make(sha)[first...])))
            }
            if let error = replies.first(where: { if case .error = $0 { return true } else { return false } }) {
                throw Self.unexpected(error, "script")
            }
            return replies
        } catch {
            throw Self.translate(error)
        }
    }

    private func scriptHash(_ source: String, reload: Bool) async throws -> String {
        if !reload, let known = scriptHashes.withLock({ $0[source] }) { return known }
        let reply = try await client.send(RedisCommand("SCRIPT", [.string("LOAD"), .string(source)]))
        guard let sha = reply.string, reply.serverError == nil else { throw Self.unexpected(reply, "SCRIPT LOAD") }
        scriptHashes.withLock { $0[source] = sha }
        return sha
    }

    private static func isNoScript(_ reply: RESPValue) -> Bool {
        if case .error(let message) = reply { return message.hasPrefix("NOSCRIPT") }
        return false
    }

    private static func unexpected(_ reply: RESPValue, _ what: String) -> HeraldError {
        if case .error(let message) = reply {
            return HeraldError(.backendFailure, "Redis refused the \(what): \(message)")
        }
        return HeraldError(.backendFailure, "Redis answered the \(what) with an unexpected reply: \(reply)")
    }

    /// Maps transport errors to `backend_unavailable`; keeps `HeraldError`s as they are.
    static func translate(_ error: any Error) -> any Error {
        switch error {
        case let error as HeraldError: error
        case let error as RedisError where error.code == .server: HeraldError(.backendFailure, "Redis error: \(error.message)", underlying: error)
        case let error as RedisError: HeraldError(.backendUnavailable, "Redis is not reachable right now (\(error.code)); retry shortly", underlying: error)
        case is CancellationError: error
        default: HeraldError(.backendFailure, "unexpected error talking to Redis", underlying: error)
        }
    }
}
