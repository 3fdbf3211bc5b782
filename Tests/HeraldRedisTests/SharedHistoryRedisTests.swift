import NIOCore
import Redis
import Synchronization
import TestSupport
import Testing
import HeraldRedis
@testable import HeraldCore

/// Catch-up reads shared between streams, against a real Redis: the number of ranged reads Redis served is
/// read from `INFO commandstats` (the read script's `XRANGE` is counted there).
@Suite(
    "Shared history reads on Redis",
    .enabled(if: RedisServerProcess.isAvailable || RedisServerProcess.isRequired),
    .timeLimit(.minutes(1))
)
struct SharedHistoryRedisTests {
    /// The broker's reads, with the first one held until `openGate()`: every request of a test then
    /// arrives while that read is in flight.
    final class GatedReader: TopicHistoryReading {
        let broker: RedisBroker
        private let reads = Atomic<Int>(0)
        private let gate = AsyncStream.makeStream(of: Void.self)

        init(_ broker: RedisBroker) { self.broker = broker }

        func openGate() { gate.continuation.finish() }

        func history(of topic: Topic, after: StreamID?, limit: Int) async throws -> TopicHistory {
            if reads.add(1, ordering: .relaxed).newValue == 1 {
                for await _ in gate.stream {}
            }
            return try await broker.history(of: topic, after: after, limit: limit)
        }
    }

    func withBroker(_ body: (RedisBroker, RedisConnection) async throws -> Void) async throws {
        try await RedisBrokerHarness.with(retention: RetentionPolicy(maxLength: 5000)) { broker, connection, _ in
            try await body(broker, connection)
        }
    }

    /// `XRANGE` calls Redis served since its statistics were last reset.
    func rangedReads(_ redis: RedisConnection) async throws -> Int {
        try await RedisBrokerHarness.calls(of: "xrange", on: redis)
    }

    @Test("a thousand streams resuming one topic from nearby positions cost Redis two ranged reads, and each gets exactly its events")
    func thousandResumesTwoRangedReads() async throws {
        try await withBroker { broker, redis in
            let topic = try Topic("storm")
            let positions = try await broker.publish((0..<1200).map { NewEvent(topic: topic, type: nil, data: ByteBuffer(string: "\($0)")) })
            _ = try await redis.send(RedisCommand("CONFIG", "RESETSTAT"))
            let gated = GatedReader(broker)
            let reader = SharedHistoryReader(reader: gated)
            // why: 100 to 250 events back, like the clients of a node that went away reconnecting elsewhere.
            let starts = (0..<1000).map { positions[1099 - $0 % 150] }
            let results = try await withThrowingTaskGroup(of: (Int, TopicHistory).self) { group in
                for (index, start) in starts.enumerated() {
                    group.addTask { (index, try await reader.catchUpHistory(of: topic, from: start)) }
                }
                while reader.joinedCount < starts.count { await Task.yield() }
                gated.openGate()
                var results = Array(repeating: TopicHistory.empty, count: starts.count)
                for try await (index, history) in group { results[index] = history }
                return results
            }
            #expect(try await rangedReads(redis) == 2, "one for the first stream, one shared by the 999 that came during it")
            for (start, result) in zip(starts, results) {
                #expect(result.events.map(\.position.id.ordinal) == Array((start.id.ordinal + 1)...1200))
                #expect(result.epoch == start.epoch && result.last == positions[1199].id)
            }
            let alone = try await broker.catchUpHistory(of: topic, from: starts[7], pageSize: 1000, maximumReplay: 100_000)
            #expect(results[7] == alone)
        }
    }

    @Test("streams resuming at once without any coordination still share reads")
    func ungatedStormSharesReads() async throws {
        try await withBroker { broker, redis in
            let topic = try Topic("storm")
            let positions = try await broker.publish((0..<1200).map { NewEvent(topic: topic, type: nil, data: ByteBuffer(string: "\($0)")) })
            _ = try await redis.send(RedisCommand("CONFIG", "RESETSTAT"))
            let reader = SharedHistoryReader(reader: broker)
            let starts = (0..<1000).map { positions[1099 - $0 % 150] }
            let counts = try await withThrowingTaskGroup(of: Bool.self) { group in
                for start in starts {
                    group.addTask {
                        let history = try await reader.catchUpHistory(of: topic, from: start)
                        return history.events.map(\.position.id.ordinal) == Array((start.id.ordinal + 1)...1200)
                    }
                }
                return try await group.reduce(into: [0, 0]) { $0[$1 ? 0 : 1] += 1 }
            }
            #expect(counts == [1000, 0], "every stream got exactly its events")
            let reads = try await rangedReads(redis)
            #expect(reads < 100, "\(reads) ranged reads for 1000 resumes")
        }
    }
}
