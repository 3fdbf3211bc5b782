import NIOCore
import Testing
@testable import HeraldCore

@Suite("Catch-up planning")
struct CatchUpPlanTests {
    let topic = try! Topic("t")
    let other = try! Topic("u")

    func event(_ topic: Topic, epoch: UInt32 = 7, _ ordinal: UInt64, ms: UInt64? = nil) -> StoredEvent {
        let id = StreamID(milliseconds: ms ?? 1000 + ordinal, ordinal: ordinal)
        return StoredEvent(topic: topic, position: TopicPosition(epoch: epoch, id: id), type: nil, data: ByteBuffer(string: "\(ordinal)"))
    }

    func position(epoch: UInt32 = 7, _ ordinal: UInt64) -> TopicPosition {
        TopicPosition(epoch: epoch, id: StreamID(milliseconds: 1000 + ordinal, ordinal: ordinal))
    }

    func history(epoch: UInt32 = 7, last: UInt64, _ ordinals: ClosedRange<UInt64>?) -> TopicHistory {
        TopicHistory(epoch: epoch, last: StreamID(milliseconds: 1000 + last, ordinal: last), events: ordinals.map { $0.map { event(topic, epoch: epoch, $0) } } ?? [])
    }

    @Test("a fresh reader starts at the topic's end with nothing to replay")
    func freshReader() {
        let plan = CatchUpPlan.plan(request: StreamRequest(topics: [topic], cursor: nil), histories: [history(last: 5, nil)])
        #expect(plan.resets.isEmpty && plan.events.isEmpty)
        #expect(plan.baseline == [position(5)])
    }

    @Test("a fresh reader of a topic without history starts at none")
    func freshReaderOfNewTopic() {
        let plan = CatchUpPlan.plan(request: StreamRequest(topics: [topic], cursor: nil), histories: [.empty])
        #expect(plan.baseline == [.none])
    }

    @Test("a resumed reader gets exactly the events after its position")
    func exactResume() {
        let cursor = Cursor(topics: [topic], positions: [position(3)])
        let plan = CatchUpPlan.plan(request: StreamRequest(topics: [topic], cursor: cursor), histories: [history(last: 6, 4...6)])
        #expect(plan.resets.isEmpty)
        #expect(plan.baseline == [position(3)])
        #expect(plan.events.map(\.event.position.id.ordinal) == [4, 5, 6])
    }

    @Test("a position older than the retained history gives a trimmed reset and what exists")
    func staleCursor() {
        let cursor = Cursor(topics: [topic], positions: [position(3)])
        let plan = CatchUpPlan.plan(request: StreamRequest(topics: [topic], cursor: cursor), histories: [history(last: 9, 6...9)])
        #expect(plan.resets == [.init(topic: topic, reason: .trimmed)])
        #expect(plan.events.map(\.event.position.id.ordinal) == [6, 7, 8, 9])
    }

    @Test("a history that expired entirely after the position is a trimmed reset")
    func expiredHistory() {
        let cursor = Cursor(topics: [topic], positions: [position(3)])
        let plan = CatchUpPlan.plan(request: StreamRequest(topics: [topic], cursor: cursor), histories: [history(last: 5, nil)])
        #expect(plan.resets == [.init(topic: topic, reason: .trimmed)])
        #expect(plan.events.isEmpty)
    }

    @Test("a reader at the end of an expired history lost nothing")
    func expiredButSeenEverything() {
        let cursor = Cursor(topics: [topic], positions: [position(5)])
        let plan = CatchUpPlan.plan(request: StreamRequest(topics: [topic], cursor: cursor), histories: [history(last: 5, nil)])
        #expect(plan.resets.isEmpty)
    }

    @Test("a hole between pages is reported as trimmed")
    func holeInsideHistory() {
        let cursor = Cursor(topics: [topic], positions: [position(1)])
        var broken = history(last: 5, 2...5)
        broken.events.remove(at: 1)
        let plan = CatchUpPlan.plan(request: StreamRequest(topics: [topic], cursor: cursor), histories: [broken])
        #expect(plan.resets.map(\.reason) == [.trimmed])
    }

    @Test("a different epoch is a recreated reset followed by the whole new history")
    func wrongEpoch() {
        let cursor = Cursor(topics: [topic], positions: [position(epoch: 1, 50)])
        let plan = CatchUpPlan.plan(request: StreamRequest(topics: [topic], cursor: cursor), histories: [history(last: 2, 1...2)])
        #expect(plan.resets == [.init(topic: topic, reason: .recreated)])
        #expect(plan.baseline == [TopicPosition(epoch: 7, id: .zero)])
        #expect(plan.events.count == 2)
    }

    @Test("a topic whose history is gone is a deleted reset")
    func deletedTopic() {
        let cursor = Cursor(topics: [topic], positions: [position(4)])
        let plan = CatchUpPlan.plan(request: StreamRequest(topics: [topic], cursor: cursor), histories: [.empty])
        #expect(plan.resets == [.init(topic: topic, reason: .deleted)])
        #expect(plan.baseline == [.none])
    }

    @Test("a position beyond the history's end is a rewound reset")
    func rewoundHistory() {
        let cursor = Cursor(topics: [topic], positions: [position(9)])
        let plan = CatchUpPlan.plan(request: StreamRequest(topics: [topic], cursor: cursor), histories: [history(last: 4, nil)])
        #expect(plan.resets == [.init(topic: topic, reason: .rewound)])
        #expect(plan.baseline == [position(4)])
    }

    @Test("events after the cursor's id that do not go past its ordinal (a failover rewound the history and gave its ordinals again) are a rewound reset, then all replayed")
    func rewrittenHistory() {
        // The client saw 1…9 (ms 1001…1009); the new primary had only 1…6 and gave 7…11 to new events, later.
        let cursor = Cursor(topics: [topic], positions: [position(9)])
        let newer = (7...11).map { event(topic, $0, ms: 5000 + $0) }
        let plan = CatchUpPlan.plan(request: StreamRequest(topics: [topic], cursor: cursor), histories: [TopicHistory(epoch: 7, last: newer.last!.position.id, events: newer)])
        #expect(plan.resets == [.init(topic: topic, reason: .rewound)])
        #expect(plan.events.map(\.event.position.id.ordinal) == Array(7...11))
        #expect(plan.baseline == [TopicPosition(epoch: 7, id: StreamID(milliseconds: 5007, ordinal: 6))])
    }

    @Test("a topic created after the reader's snapshot is replayed from its start without reset")
    func topicCreatedLater() {
        let cursor = Cursor(topics: [topic], positions: [.none])
        let plan = CatchUpPlan.plan(request: StreamRequest(topics: [topic], cursor: cursor), histories: [history(last: 2, 1...2)])
        #expect(plan.resets.isEmpty)
        #expect(plan.events.count == 2)
    }

    @Test("events of several topics are merged by publish time and keep each topic's order")
    func multiTopicMerge() {
        let cursor = Cursor(topics: [topic, other], positions: [position(0), position(0)])
        let first = TopicHistory(epoch: 7, last: StreamID(milliseconds: 30, ordinal: 2), events: [event(topic, 1, ms: 10), event(topic, 2, ms: 30)])
        let second = TopicHistory(epoch: 7, last: StreamID(milliseconds: 20, ordinal: 1), events: [event(other, 1, ms: 20)])
        let plan = CatchUpPlan.plan(request: StreamRequest(topics: [other, topic], cursor: cursor), histories: [first, second].reversed())
        #expect(plan.events.map(\.event.position.id.milliseconds) == [10, 20, 30])
    }

    @Test("the reset event lists every affected topic")
    func resetEventBytes() {
        let plan = CatchUpPlan(resets: [.init(topic: topic, reason: .trimmed), .init(topic: other, reason: .deleted)], baseline: [], events: [])
        var buffer = ByteBuffer()
        plan.writeResetEvent(id: "X", to: &buffer)
        #expect(String(buffer: buffer) == """
        event: herald.reset
        data: {"topics":[{"topic":"t","reason":"history_trimmed"},{"topic":"u","reason":"history_deleted"}]}
        id: X


        """)
    }
}
