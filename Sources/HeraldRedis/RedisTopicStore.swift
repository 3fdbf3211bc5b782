import HeraldCore
import NIOCore
import Redis
import Synchronization

/// Topic histories in Redis: publishing (append + publish live, one script call per run of a topic's events)
/// and reading.
///
/// Scripts run with `EVALSHA`; a script is loaded on first use and again after `NOSCRIPT` (Redis restarted
/// or flushed its scripts, or, in a cluster, the slot moved to a master that never ran it), once on every
/// master that refused it. Both the broker and
/// the healing of a lost live feed read through it. On a Redis Cluster every command carries its topic's slot,
/// and a batch over several shards goes out as one pipeline per master, all at once.
final class RedisTopicStore: TopicHistoryReading {
    let configuration: RedisBrokerConfiguration
    private let client: any RedisCommandSender
    private let scriptHashes = Mutex<[String: String]>([:])

    /// The publish script's ARGV 1–4 (max length, max age, meta time-to-live, idempotency window), fixed
    /// by the configuration.
    private let publishLimits: [RedisArgument]
    /// `.cluster` when commands are routed by slot: then every key of a topic must share its slot.
    private let keyLayout: RedisBroker.Keys.Layout

    init(configuration: RedisBrokerConfiguration, client: any RedisCommandSender) {
        self.configuration = configuration
        self.client = client
        keyLayout = client.routesBySlot ? .cluster : .single
        let retention = configuration.retention
        let maxAge = Int64(retention.maxAge.map { $0 / .milliseconds(1) } ?? 0)
        let metaTTL = max(maxAge, Int64(configuration.metaTimeToLive / .milliseconds(1)))
        let window = max(Int64(retention.idempotencyWindow / .milliseconds(1)), 1)
        publishLimits = [Int64(retention.maxLength), maxAge, metaTTL, window].map { RedisArgument.string(String($0)) }
    }

    /// Runs the publish script once per run of consecutive events on one topic, pipelined, and returns
    /// each event's position.
    func publish(_ events: [NewEvent]) async throws -> [TopicPosition] {
        let runs = Self.runs(of: events)
        let slots = slots(of: runs.map { events[$0.lowerBound].topic })
        let replies = try await runScript(
            RedisBroker.Script.publish, firstEvents: runs.map(\.lowerBound), slots: slots, confirmedBy: configuration.publishReplicas
        ) {
            self.publishCommands(events, runs: runs, sha: $0)
        }
        return try Self.positions(replies, runs: runs)
    }

    /// The hash slot of each topic's keys when commands are routed by slot (a cluster), else zeros.
    /// why: a single server needs no slot, and the hot path skips the CRC.
    func slots(of topics: [Topic]) -> [Int] {
        guard client.routesBySlot else { return Array(repeating: 0, count: topics.count) }
        return topics.map { slot(ofKey: keys(of: $0).stream) }
    }

    /// The Redis names of `topic`'s stream, meta hash, channel and idempotency keys.
    func keys(of topic: Topic) -> RedisBroker.Keys {
        RedisBroker.Keys(prefix: configuration.keyPrefix, topic: topic, layout: keyLayout)
    }

    /// The hash slot of `key` when commands are routed by slot, else 0.
    func slot(ofKey key: String) -> Int {
        client.routesBySlot ? RedisHashSlot.of(key) : 0
    }

    /// `publish(_:)` from an event loop: once the script is loaded, the commands go out on the command
    /// connection of `eventLoop` and the positions come back there, with no task and no thread hop. The
    /// first publish, and one that finds the script gone from Redis, take the task path, which (re)loads it.
    func publish(_ events: [NewEvent], on eventLoop: any EventLoop) -> EventLoopFuture<[TopicPosition]> {
        let source = RedisBroker.Script.publish
        let runs = Self.runs(of: events)
        let slots = slots(of: runs.map { events[$0.lowerBound].topic })
        // why: a batch over several slots of a cluster is split per master, and a publish confirmed by replicas
        // waits for them, both of which the task path does.
        guard let sha = scriptHashes.withLock({ $0[source] }), let slot = slots.first, slots.allSatisfy({ $0 == slot }),
              configuration.publishReplicas == 0
        else {
            return eventLoop.makeFutureWithTask { try await self.publish(events) }
        }
        let stored = eventLoop.makePromise(of: [TopicPosition].self)
        client.send(publishCommands(events, runs: runs, sha: sha), slot: slot, preferring: eventLoop).whenComplete { result in
            switch result {
            case .failure(let error):
                stored.fail(RedisBroker.translate(error))
            case .success(let replies) where !replies.contains(where: Self.isError):
                stored.completeWith(Result { try Self.positions(replies, runs: runs) })
            case .success(let replies):
                stored.completeWithTask {
                    var none: [RESPValue] = []
                    let replies = try await self.finishScript(source, replies: replies, firstEvents: runs.map(\.lowerBound), slots: slots, confirmations: &none) {
                        self.publishCommands(events, runs: runs, sha: $0)
                    }
                    return try Self.positions(replies, runs: runs)
                }
            }
        }
        return stored.futureResult
    }

    /// The most events one script call appends: a bound on how long one call keeps Redis busy.
    static let maxRunLength = 256

    /// Splits `events` into runs of consecutive events on one topic (at most `maxRunLength` each), in order.
    static func runs(of events: [NewEvent]) -> [Range<Int>] {
        var runs: [Range<Int>] = []
        var start = events.startIndex
        for index in events.indices.dropFirst() where events[index].topic != events[start].topic || index - start == maxRunLength {
            runs.append(start..<index)
            start = index
        }
        if !events.isEmpty { runs.append(start..<events.endIndex) }
        return runs
    }

    private func publishCommands(_ events: [NewEvent], runs: [Range<Int>], sha: String) -> [RedisCommand] {
        // why: the script takes the time from the node rather than calling `TIME` (see `Script.publish`).
        let now = String(WallClock.milliseconds())
        return runs.map { run in
            let keys = self.keys(of: events[run.lowerBound].topic)
            var keyArguments: [RedisArgument] = [.string(keys.stream), .string(keys.meta), .string(keys.channel)]
            var keyIndex: [String: Int] = [:]
            var eventArguments: [RedisArgument] = []
            eventArguments.reserveCapacity(run.count * 3)
            for event in events[run] {
                var index = "0"
                if let key = event.idempotencyKey {
                    let position = keyIndex[key] ?? {
                        keyArguments.append(.string(keys.idempotency(key)))
                        keyIndex[key] = keyArguments.count
                        return keyArguments.count
                    }()
                    index = String(position)
                }
                eventArguments.append(.string(event.type ?? ""))
                eventArguments.append(.bytes(event.data))
                eventArguments.append(.string(index))
            }
            var arguments: [RedisArgument] = [.string(sha), .string(String(keyArguments.count))]
            arguments.reserveCapacity(3 + keyArguments.count + publishLimits.count + eventArguments.count)
            arguments += keyArguments
            arguments += publishLimits
            arguments.append(.string(now))
            arguments += eventArguments
            return RedisCommand("EVALSHA", arguments)
        }
    }

    /// The positions from the script's replies, one `{epoch, id, …}` reply per run.
    private static func positions(_ replies: [RESPValue], runs: [Range<Int>]) throws -> [TopicPosition] {
        guard replies.count == runs.count else { throw RedisBroker.unexpected(.array(replies), "publish") }
        var positions: [TopicPosition] = []
        positions.reserveCapacity(runs.last?.upperBound ?? 0)
        for (reply, run) in zip(replies, runs) {
            guard let parts = reply.array, parts.count == 2 * run.count else { throw RedisBroker.unexpected(reply, "publish") }
            for pair in stride(from: 0, to: parts.count, by: 2) {
                guard let epoch = parts[pair].epoch, let id = parts[pair + 1].streamID else {
                    throw RedisBroker.unexpected(reply, "publish")
                }
                positions.append(TopicPosition(epoch: epoch, id: id))
            }
        }
        return positions
    }

    func history(of topic: Topic, after: StreamID?, limit: Int) async throws -> TopicHistory {
        let keys = self.keys(of: topic)
        let replies = try await runScript(RedisBroker.Script.read, firstEvents: [0], slots: slots(of: [topic])) { sha in
            [RedisCommand("EVALSHA", [.string(sha), .string("2"), .string(keys.stream), .string(keys.meta), .string(after?.description ?? ""), .string(String(max(limit, 1)))])]
        }
        guard let parts = replies.first?.array else { throw RedisBroker.unexpected(replies.first ?? .null, "history") }
        guard !parts.isEmpty else { return .empty }
        guard parts.count >= 2, let epoch = parts[0].epoch, let last = parts[1].streamID else {
            throw RedisBroker.unexpected(.array(parts), "history")
        }
        let entries = parts.count > 2 ? (parts[2].array ?? []) : []
        let events = try entries.map { entry in
            guard let fields = entry.array, fields.count == 2, let id = fields[0].streamID, let values = fields[1].array else {
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

    /// Sends the commands `make` builds for the script's hash, command *i* for slot `slots[i]`; loads the
    /// script first if needed and again after `NOSCRIPT`, resending the commands that were refused. Command *i*
    /// carries the events from item `firstEvents[i]` of the request on (for the error when Redis loses its
    /// scripts midway).
    /// With `confirmedBy` replicas, every pipeline ends with `WAIT`, and the commands count as done only once
    /// that many replicas hold them (else `backend_unavailable`: they may exist, a retry with the same
    /// idempotency keys is safe).
    func runScript(_ source: String, firstEvents: [Int], slots: [Int], confirmedBy replicas: Int = 0, _ make: (String) -> [RedisCommand]) async throws -> [RESPValue] {
        let wait = replicas > 0 ? RedisCommand("WAIT", String(replicas), String(Int64(configuration.publishReplicasTimeout / .milliseconds(1)))) : nil
        var confirmations: [RESPValue] = []
        let replies: [RESPValue]
        do {
            let commands = make(try await scriptHash(source, reload: false, slot: slots.first ?? 0))
            if let wait {
                (replies, confirmations) = try await client.send(commands, slots: slots, trailer: wait)
            } else {
                replies = try await client.send(commands, slots: slots)
            }
        } catch {
            throw RedisBroker.translate(error)
        }
        let finished = try await finishScript(source, replies: replies, firstEvents: firstEvents, slots: slots, wait: wait, confirmations: &confirmations, make)
        if let least = confirmations.map({ $0.int ?? 0 }).min(), least < replicas {
            throw HeraldError(.backendUnavailable, "stored, but only \(least) of the \(replicas) replicas required (--publish-replicas) confirmed within \(configuration.publishReplicasTimeout); it is not acknowledged and may exist: retry with the same Idempotency-Key")
        }
        return finished
    }

    /// Completes a script run from its first `replies`: resends what `NOSCRIPT` refused after reloading
    /// the script, and throws for an error reply.
    /// A command refused with `NOSCRIPT` did not run; within one slot (one pipeline to one server) the refused
    /// ones must be the last, or Redis lost its scripts midway through the pipeline.
    private func finishScript(
        _ source: String, replies: [RESPValue], firstEvents: [Int], slots: [Int],
        wait: RedisCommand? = nil, confirmations: inout [RESPValue], _ make: (String) -> [RedisCommand]
    ) async throws -> [RESPValue] {
        do {
            var replies = replies
            let refused = replies.indices.filter { Self.isNoScript(replies[$0]) }
            if !refused.isEmpty {
                // One pass: a command that ran after a refused one of the same slot means the scripts went midway.
                var firstRefused: [Int: Int] = [:]
                for index in replies.indices {
                    let group = client.routesBySlot ? slots[index] : 0
                    if Self.isNoScript(replies[index]) {
                        firstRefused[group] = firstRefused[group] ?? index
                    } else if let first = firstRefused[group] {
                        throw HeraldError(.backendFailure, "Redis lost its scripts in the middle of a batch; events before item \(firstEvents[first]) were stored, retry the rest")
                    }
                }
                var sha = ""
                // why: per master, not per slot: a batch over many topics of one shard loads the script once.
                for slot in client.destinationSlots(refused.map { slots[$0] }) {
                    sha = try await scriptHash(source, reload: true, slot: slot)
                }
                let commands = make(sha)
                let answers: [RESPValue]
                if let wait {
                    let confirmed: [RESPValue]
                    (answers, confirmed) = try await client.send(refused.map { commands[$0] }, slots: refused.map { slots[$0] }, trailer: wait)
                    confirmations += confirmed
                } else {
                    answers = try await client.send(refused.map { commands[$0] }, slots: refused.map { slots[$0] })
                }
                for (index, answer) in zip(refused, answers) { replies[index] = answer }
            }
            if let error = replies.first(where: Self.isError) {
                throw RedisBroker.unexpected(error, "script")
            }
            return replies
        } catch {
            throw RedisBroker.translate(error)
        }
    }

    /// The script's hash, loaded (on the master of `slot`, in a cluster) when not known or when `reload`.
    /// why: a hash is the script's SHA1, the same on every server; only the loading is per server.
    private func scriptHash(_ source: String, reload: Bool, slot: Int) async throws -> String {
        if !reload, let known = scriptHashes.withLock({ $0[source] }) { return known }
        let reply = try await client.send([RedisCommand("SCRIPT", [.string("LOAD"), .string(source)])], slot: slot)[0]
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

extension RESPValue {
    /// A reply's text as a topic epoch (decimal, fits 32 bits), read from the bytes without making a String.
    var epoch: UInt32? {
        decimalText.flatMap(UInt32.init(exactly:))
    }

    /// A reply's text as a stream id `<ms>-<ordinal>`, read from the bytes without making a String.
    var streamID: StreamID? {
        switch self {
        case .bulkString(let buffer): StreamID(ascii: buffer.readableBytesView)
        case .simpleString(let text): StreamID(text)
        case .error, .integer, .null, .array: nil
        }
    }

    var decimalText: UInt64? {
        switch self {
        case .bulkString(let buffer): ASCIIDecimal.parse(buffer.readableBytesView)
        case .simpleString(let text): ASCIIDecimal.parse(text.utf8)
        case .error, .integer, .null, .array: nil
        }
    }
}
