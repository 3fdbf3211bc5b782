import NIOCore
import NIOPosix
import Testing
@testable import HeraldCore

/// Each test holds the first read until every request of the test has arrived, so which requests share a
/// read is decided by the test, not by timing.
@Suite("Shared history reads", .timeLimit(.minutes(1)))
struct SharedHistoryReaderTests {
    let broker = MemoryBroker(fanOut: FanOut(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, heartbeatInterval: .seconds(15)), retention: RetentionPolicy(maxLength: 5000))
    let topic = try! Topic("t")

    func publish(_ count: Int) async throws -> [TopicPosition] {
        try await broker.publish((0..<count).map { NewEvent(topic: topic, type: nil, data: ByteBuffer(string: "\($0)")) })
    }

    /// What a read of its own gives a reader at `start`, and the reads it takes.
    func alone(from start: TopicPosition?, pageSize: Int = 1000, maximumReplay: Int = 100_000) async throws -> (TopicHistory, reads: Int) {
        let counting = CountingReader(broker)
        let history = try await counting.catchUpHistory(of: topic, from: start, pageSize: pageSize, maximumReplay: maximumReplay)
        return (history, counting.reads)
    }

    /// Starts one catch-up per start, in order, each once the previous one has joined or is reading.
    func requests(
        _ starts: [TopicPosition?], through reader: SharedHistoryReader, in group: inout ThrowingTaskGroup<(Int, TopicHistory), any Error>
    ) async throws {
        for (index, start) in starts.enumerated() {
            group.addTask { [topic] in (index, try await reader.catchUpHistory(of: topic, from: start)) }
            try await waitUntil { reader.joinedCount == index + 1 }
        }
    }

    func waitUntil(_ condition: () -> Bool) async throws {
        while !condition() {
            try Task.checkCancellation()
            await Task.yield()
        }
    }

    func catchUp(_ starts: [TopicPosition?], through reader: SharedHistoryReader, counting: CountingReader) async throws -> [TopicHistory] {
        try await withThrowingTaskGroup(of: (Int, TopicHistory).self) { group in
            try await requests(starts, through: reader, in: &group)
            counting.openGate()
            var results = Array(repeating: TopicHistory.empty, count: starts.count)
            for try await (index, history) in group { results[index] = history }
            return results
        }
    }

    @Test("a thousand concurrent resumes of one topic from nearby positions make two reads, and each gets exactly its events")
    func thousandResumesShareTwoReads() async throws {
        let positions = try await publish(1200)
        let counting = CountingReader(broker, holdingFirstRead: true)
        let reader = SharedHistoryReader(reader: counting)
        // why: 100 to 250 events back, like clients of one topic reconnecting together after a node went away.
        let starts = (0..<1000).map { positions[1099 - $0 % 150] }
        let results = try await catchUp(starts, through: reader, counting: counting)
        #expect(counting.reads == 2, "one read for the first request, one shared by the 999 that arrived during it")
        for (start, result) in zip(starts, results) {
            let expected = try await alone(from: start).0
            #expect(result == expected)
            #expect(result.events.first?.position.id.ordinal == start.id.ordinal + 1 && result.events.last?.position.id.ordinal == 1200)
        }
    }

    @Test("a reader on its own makes the reads of catchUpHistory and gets the same history", arguments: [nil, 5, 60, 95] as [UInt64?])
    func aloneIsCatchUpHistory(ordinal: UInt64?) async throws {
        let positions = try await publish(100)
        let start = ordinal.map { positions[Int($0) - 1] }
        let counting = CountingReader(broker)
        let history = try await SharedHistoryReader(reader: counting, pageSize: 10, maximumReplay: 25).catchUpHistory(of: topic, from: start)
        let (expected, reads) = try await alone(from: start, pageSize: 10, maximumReplay: 25)
        #expect(history == expected)
        #expect(counting.reads == reads)
    }

    @Test("readers cut by the maximum replay get what a read of their own gives, and the same plan with its trimmed reset")
    func maximumReplayPerReader() async throws {
        let positions = try await publish(100)
        let counting = CountingReader(broker, holdingFirstRead: true)
        let reader = SharedHistoryReader(reader: counting, pageSize: 10, maximumReplay: 25)
        let starts = [3, 5, 8, 12, 13, 40, 50].map { positions[$0 - 1] }
        let results = try await catchUp(starts, through: reader, counting: counting)
        for (start, result) in zip(starts, results) {
            let expected = try await alone(from: start, pageSize: 10, maximumReplay: 25).0
            #expect(result == expected)
            let request = StreamRequest(topics: [topic], cursor: Cursor(topics: [topic], positions: [start]))
            #expect(CatchUpPlan.plan(request: request, histories: [result]) == CatchUpPlan.plan(request: request, histories: [expected]))
        }
        #expect(results[0].events.count == 30, "whole pages up to the maximum, as catchUpHistory does")
        // why: 3 reads its 3 pages; 5 to 13 share 4 pages; 40 and 50 are more than a page away from them.
        #expect(counting.reads <= 3 + 4 + 3 + 3)
    }

    @Test("after the topic was recreated, stale, epoch-less and current positions and fresh readers each get their history")
    func recreatedTopic() async throws {
        let old = try await publish(50)
        broker.deleteTopic(topic)
        let new = try await publish(30)
        let counting = CountingReader(broker, holdingFirstRead: true)
        let reader = SharedHistoryReader(reader: counting, pageSize: 10, maximumReplay: 1000)
        let starts: [TopicPosition?] = [new[21], old[44], .none, nil, new[19], new[24], nil, old[48]]
        let results = try await catchUp(starts, through: reader, counting: counting)
        for (start, result) in zip(starts, results) {
            let expected = try await alone(from: start, pageSize: 10, maximumReplay: 1000).0
            #expect(result == expected)
        }
        #expect(results[1].events.count == 30 && results[1].epoch == new[0].epoch, "a stale epoch gets the whole new history")
    }

    @Test("a waiting reader whose task is cancelled leaves without reading, and the read goes on for the others")
    func cancelledWaiterLeaves() async throws {
        let positions = try await publish(20)
        let counting = CountingReader(broker, holdingFirstRead: true)
        let reader = SharedHistoryReader(reader: counting)
        let leader = Task { [topic] in try await reader.catchUpHistory(of: topic, from: positions[3]) }
        try await waitUntil { counting.reads == 1 }
        let waiter = Task { [topic] in try await reader.catchUpHistory(of: topic, from: positions[4]) }
        try await waitUntil { reader.waitingCount(of: topic) == 1 }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(reader.waitingCount(of: topic) == 0)
        counting.openGate()
        #expect(try await leader.value.events.count == 16)
        #expect(counting.reads == 1)
    }

    @Test("a failed read fails its followers too, but a leader's cancellation only makes them read on their own")
    func failuresAndCancelledLeaders() async throws {
        let positions = try await publish(20)
        for cancelLeader in [false, true] {
            let counting = CountingReader(broker, holdingFirstRead: true)
            let reader = SharedHistoryReader(reader: counting)
            let leader = Task { [topic] in try await reader.catchUpHistory(of: topic, from: positions[3]) }
            try await waitUntil { counting.reads == 1 }
            let follower = Task { [topic] in try await reader.catchUpHistory(of: topic, from: positions[4]) }
            try await waitUntil { reader.waitingCount(of: topic) == 1 }
            if cancelLeader {
                leader.cancel()
                await #expect(throws: CancellationError.self) { try await leader.value }
                #expect(try await follower.value == (try await alone(from: positions[4]).0))
            } else {
                counting.failReads()
                counting.openGate()
                await #expect(throws: CountingReader.Failure.self) { try await leader.value }
                await #expect(throws: CountingReader.Failure.self) { try await follower.value }
            }
        }
    }
}
