import HeraldCore
import NIOCore
import Redis
import Synchronization

/// Topic histories in Redis: publishing (append + publish live, one script per event) and reading.
///
/// Scripts run with `EVALSHA`; a script is loaded on first use and again after `NOSCRIPT` (Redis restarted
/// or flushed its scripts). Both the broker and the healing of a lost live feed read through it.
final class RedisTopicStore: TopicHistoryReading {
    private let configuration: RedisBrokerConfiguration
    private let client: RedisClient
    private let scriptHashes = Mutex<[String: String]>([:])

    init(configuration: RedisBrokerConfiguration, client: RedisClient) {
        self.configuration = configuration
        self.client = client
    }

    /// Runs the publish script for each event, pipelined, and returns each event's position.
    func publish(_ events: [NewEvent]) async throws -> [TopicPosition] {
        try Self.positions(try await runScript(RedisBroker.Script.publish) { self.publishCommands(events, sha: $0) })
    }

    /// `publish(_:)` from an event loop: once the script is loaded, the commands go out on the command
    /// connection of `eventLoop` and the positions come back there, with no task and no thread hop. The
    /// first publish, and one that finds the script gone from Redis, take the task path, which (re)loads it.
    func publish(_ events: [NewEvent], on eventLoop: any EventLoop) -> EventLoopFuture<[TopicPosition]> {
        let source = RedisBroker.Script.publish
        guard let sha = scriptHashes.withLock({ $0[source] }) else {
            return eventLoop.makeFutureWithTask { try await self.publish(events) }
        }
        return client.send(publishCommands(events, sha: sha), preferring: eventLoop)
            .flatMapError { eventLoop.makeFailedFuture(RedisBroker.translate($0)) }
            .flatMap { replies in
                guard replies.contains(where: Self.isError) else {
                    return eventLoop.makeCompletedFuture { try Self.positions(replies) }
                }
                return eventLoop.makeFutureWithTask {
                    try Self.positions(try await self.finishScript(source, replies: replies) { self.publishCommands(events, sha: $0) })
                }
            }
    }

    private func publishCommands(_ events: [NewEvent], sha: String) -> [RedisCommand] {
        let retention = configuration.retention
        let maxAge = retention.maxAge.map { $0 / .milliseconds(1) } ?? 0
        let metaTTL = max(Int64(maxAge), Int64(configuration.metaTimeToLive / .milliseconds(1)))
        let window = String(max(Int64(retention.idempotencyWindow / .milliseconds(1)), 1))
        return events.map { event in
            let keys = RedisBroker.Keys(prefix: configuration.keyPrefix, topic: event.topic)
            let keyArguments: [RedisArgument] = [.string(keys.stream), .string(keys.meta), .string(keys.channel)]
                + (event.idempotencyKey.map { [.string(keys.idempotency($0))] } ?? [])
            return RedisCommand("EVALSHA", [.string(sha), .string(String(keyArguments.count))] + keyArguments + [
                .string(String(retention.maxLength)), .string(String(Int64(maxAge))), .string(String(metaTTL)),
                .string(event.type ?? ""), .bytes(event.data), .string(window),
            ])
        }
    }

    private static func positions(_ replies: [RESPValue]) throws -> [TopicPosition] {
        try replies.map { reply in
            guard let parts = reply.array, parts.count == 2,
                  let epoch = parts[0].string.flatMap(UInt32.init), let id = parts[1].string.flatMap(StreamID.init)
            else { throw RedisBroker.unexpected(reply, "publish") }
            return TopicPosition(epoch: epoch, id: id)
        }
    }

    func history(of topic: Topic, after: StreamID?, limit: Int) async throws -> TopicHistory {
        let keys = RedisBroker.Keys(prefix: configuration.keyPrefix, topic: topic)
        let replies = try await runScript(RedisBroker.Script.read) { sha in
            [RedisCommand("EVALSHA", [.string(sha), .string("2"), .string(keys.stream), .string(keys.meta), .string(after?.description ?? ""), .string(String(max(limit, 1)))])]
        }
        guard let parts = replies.first?.array else { throw RedisBroker.unexpected(replies.first ?? .null, "history") }
        guard !parts.isEmpty else { return .empty }
        guard parts.count >= 2, let epoch = parts[0].string.flatMap(UInt32.init), let last = parts[1].string.flatMap(StreamID.init) else {
            throw RedisBroker.unexpected(.array(parts), "history")
        }
        let entries = parts.count > 2 ? (parts[2].array ?? []) : []
        let events = try entries.map { entry in
            guard let fields = entry.array, fields.count == 2, let id = fields[0].string.flatMap(StreamID.init), let values = fields[1].array else {
                throw RedisBroker.unexpected(entry, "history entry")
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

    /// Sends the commands `make` builds for the script's hash; loads the script first if needed and again
    /// after `NOSCRIPT`, resending the commands that were refused.
    private func runScript(_ source: String, _ make: (String) -> [RedisCommand]) async throws -> [RESPValue] {
        let replies: [RESPValue]
        do {
            replies = try await client.send(make(try await scriptHash(source, reload: false)))
        } catch {
            throw RedisBroker.translate(error)
        }
        return try await finishScript(source, replies: replies, make)
    }

    /// Completes a script run from its first `replies`: resends what `NOSCRIPT` refused after reloading
    /// the script, and throws for an error reply.
    private func finishScript(_ source: String, replies: [RESPValue], _ make: (String) -> [RedisCommand]) async throws -> [RESPValue] {
        do {
            var replies = replies
            if let first = replies.firstIndex(where: Self.isNoScript) {
                guard replies[first...].allSatisfy(Self.isNoScript) else {
                    throw HeraldError(.backendFailure, "Redis lost its scripts in the middle of a batch; events before item \(first) were stored, retry the rest")
                }
                let sha = try await scriptHash(source, reload: true)
                replies.replaceSubrange(first..., with: try await client.send(Array(make(sha)[first...])))
            }
            if let error = replies.first(where: Self.isError) {
                throw RedisBroker.unexpected(error, "script")
            }
            return replies
        } catch {
            throw RedisBroker.translate(error)
        }
    }

    private func scriptHash(_ source: String, reload: Bool) async throws -> String {
        if !reload, let known = scriptHashes.withLock({ $0[source] }) { return known }
        let reply = try await client.send(RedisCommand("SCRIPT", [.string("LOAD"), .string(source)]))
        guard let sha = reply.string, reply.serverError == nil else { throw RedisBroker.unexpected(reply, "SCRIPT LOAD") }
        scriptHashes.withLock { $0[source] = sha }
        return sha
    }

    private static func isError(_ reply: RESPValue) -> Bool {
        if case .error = reply { return true }
        return false
    }

    private static func isNoScript(_ reply: RESPValue) -> Bool {
        if case .error(let message) = reply { return message.hasPrefix("NOSCRIPT") }
        return false
    }
}
