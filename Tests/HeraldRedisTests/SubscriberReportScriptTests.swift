import HeraldCore
import NIOCore
import Redis
import TestSupport
import Testing
@testable import HeraldRedis

/// `Script.report` and `Script.retained` against a real Redis (what each leaves in Redis and answers), the
/// reporter recovering a lost report, and the read that adds up the live reports.
@Suite(
    "Subscriber reports and topic summaries in Redis",
    .enabled(if: RedisServerProcess.isAvailable || RedisServerProcess.isRequired),
    .timeLimit(.minutes(1))
)
struct SubscriberReportScriptTests {
    /// Runs `Script.report` for node `id` as `SubscriberReporter` does, with `EVAL`.
    func report(_ redis: RedisConnection, prefix: String, node id: String, replace: Bool, removed: [String] = [], counts: [(String, Int)] = [], expiryMs: Int = 6000) async throws -> RESPValue {
        let keys = RedisBroker.NodeKeys(prefix: prefix)
        var arguments: [RedisArgument] = [
            .string(RedisBroker.Script.report), .string("2"), .string(keys.directory), .string(keys.report(of: id)),
            .string(id), .string(String(expiryMs)), .string(replace ? "replace" : "update"), .string(String(removed.count)),
        ]
        arguments += removed.map { .string($0) }
        for (topic, count) in counts { arguments += [.string(topic), .string(String(count))] }
        return try await redis.send(RedisCommand("EVAL", arguments))
    }

    func hash(_ redis: RedisConnection, _ key: String) async throws -> [String: String] {
        let flat = try await redis.send(RedisCommand("HGETALL", key)).array?.compactMap(\.string) ?? []
        return Dictionary(uniqueKeysWithValues: stride(from: 0, to: flat.count - 1, by: 2).map { (flat[$0], flat[$0 + 1]) })
    }

    @Test("the node keys share the {nodes} hash tag, so the report script's keys are in one slot")
    func keyNames() {
        let keys = RedisBroker.NodeKeys(prefix: "herald")
        #expect(keys.directory == "herald:{nodes}:directory")
        #expect(keys.report(of: "00ff") == "herald:{nodes}:subscribers:00ff")
    }

    @Test("a replacement writes the counts and the live field, lists the node, and both expire")
    func replaceWritesEverything() async throws {
        try await RedisBrokerHarness.with { _, redis, prefix in
            let keys = RedisBroker.NodeKeys(prefix: prefix)
            // 2,500 topics: more than one chunk of 1000 arguments, so the chunking is exercised.
            let counts = (0..<2500).map { ("topic/\($0)", $0 % 5 + 1) }
            #expect(try await report(redis, prefix: prefix, node: "a1", replace: true, counts: counts).int == 1)
            let stored = try await hash(redis, keys.report(of: "a1"))
            #expect(stored.count == 2501)
            #expect(stored["topic/7"] == "3" && stored[RedisBroker.NodeKeys.liveField] != nil)
            let ttl = try await redis.send(RedisCommand("PTTL", keys.report(of: "a1"))).int ?? 0
            #expect(ttl > 0 && ttl <= 6000)
            #expect(try await redis.send(RedisCommand("ZRANGE", keys.directory, "0", "-1")).array?.compactMap(\.string) == ["a1"])
            #expect((try await redis.send(RedisCommand("PTTL", keys.directory)).int ?? 0) > 0)
        }
    }

    @Test("an update applies removals and changes and keeps the rest")
    func updateAppliesChanges() async throws {
        try await RedisBrokerHarness.with { _, redis, prefix in
            let key = RedisBroker.NodeKeys(prefix: prefix).report(of: "a1")
            _ = try await report(redis, prefix: prefix, node: "a1", replace: true, counts: [("a", 1), ("b", 2), ("c", 3)])
            #expect(try await report(redis, prefix: prefix, node: "a1", replace: false, removed: ["c"], counts: [("b", 5), ("d", 1)]).int == 1)
            var stored = try await hash(redis, key)
            stored[RedisBroker.NodeKeys.liveField] = nil
            #expect(stored == ["a": "1", "b": "5", "d": "1"])
        }
    }

    @Test("an update of a report that expired writes nothing and answers 0, so the node sends a replacement")
    func updateOfLostReport() async throws {
        try await RedisBrokerHarness.with { _, redis, prefix in
            let key = RedisBroker.NodeKeys(prefix: prefix).report(of: "a1")
            _ = try await report(redis, prefix: prefix, node: "a1", replace: true, counts: [("a", 1), ("b", 2)])
            _ = try await redis.send(RedisCommand("DEL", key))
            #expect(try await report(redis, prefix: prefix, node: "a1", replace: false, counts: [("b", 3)]).int == 0)
            #expect(try await redis.send(RedisCommand("EXISTS", key)).int == 0)
        }
    }

    @Test("a report prunes directory entries older than the expiry, so dead nodes leave the directory")
    func directoryPruning() async throws {
        try await RedisBrokerHarness.with { _, redis, prefix in
            let keys = RedisBroker.NodeKeys(prefix: prefix)
            _ = try await redis.send(RedisCommand("ZADD", keys.directory, "1000", "dead"))
            _ = try await report(redis, prefix: prefix, node: "alive", replace: true)
            #expect(try await redis.send(RedisCommand("ZRANGE", keys.directory, "0", "-1")).array?.compactMap(\.string) == ["alive"])
        }
    }

    @Test("a node whose report vanished writes it again in full at its next report, and readers count it again")
    func reporterRecoversLostReport() async throws {
        try await RedisBrokerHarness.with { broker, redis, prefix in
            let key = RedisBroker.NodeKeys(prefix: prefix).report(of: broker.nodeID)
            var state = SubscriberReport()
            try await broker.reporter.report(&state)
            #expect(try await redis.send(RedisCommand("EXISTS", key)).int == 1)
            _ = try await redis.send(RedisCommand("DEL", key))
            try await broker.reporter.report(&state)
            #expect(try await redis.send(RedisCommand("HEXISTS", key, RedisBroker.NodeKeys.liveField)).int == 1)
            let ttl = try await redis.send(RedisCommand("PTTL", key)).int ?? 0
            #expect(ttl > 0 && ttl <= 6000)
        }
    }

    @Test("a read adds this node's own count to every other live report, and ignores reports that are gone")
    func readAddsLiveReports() async throws {
        try await RedisBrokerHarness.with { broker, redis, prefix in
            _ = try await report(redis, prefix: prefix, node: "other-1", replace: true, counts: [("shared", 4), ("else", 9)])
            _ = try await report(redis, prefix: prefix, node: "other-2", replace: true, counts: [("else", 1)])
            _ = try await report(redis, prefix: prefix, node: "gone", replace: true, counts: [("shared", 100)])
            _ = try await redis.send(RedisCommand("DEL", RedisBroker.NodeKeys(prefix: prefix).report(of: "gone")))
            let count = try await broker.subscriberCount(of: try Topic("shared"), onThisNode: 2)
            #expect(count == SubscriberCount(total: 6, onThisNode: 2, nodesReporting: 3))
        }
    }

    @Test("the topic summary is the stream's length, first and last id and the epoch, read in one call")
    func retainedSummary() async throws {
        try await RedisBrokerHarness.with(retention: RetentionPolicy(maxLength: 3)) { broker, redis, prefix in
            let topic = try Topic("summary")
            #expect(try await broker.retainedHistory(of: topic) == .empty)
            let positions = try await broker.publish((1...5).map { NewEvent(topic: topic, type: nil, data: ByteBuffer(string: "\($0)")) })
            _ = try await redis.send(RedisCommand("XTRIM", "\(prefix):{summary}:stream", "MAXLEN", "3"))
            let summary = try await broker.retainedHistory(of: topic)
            #expect(summary.count == 3)
            #expect(summary.first == positions[2] && summary.last == positions[4])
            #expect(summary.epoch == positions[0].epoch)
            _ = try await redis.send(RedisCommand("DEL", "\(prefix):{summary}:stream"))
            let emptied = try await broker.retainedHistory(of: topic)
            #expect(emptied.count == 0 && emptied.first == nil && emptied.last == nil && emptied.epoch == positions[0].epoch)
        }
    }
}
