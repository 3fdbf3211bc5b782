import NIOCore
import NIOEmbedded
import Testing
@testable import HeraldCore

/// The memory backend's bounds: idle topics expire with the maximum age, and a cap on topics drops the least
/// recently published first. Time is an injected clock; nothing sleeps.
@Suite("Memory broker bounds")
struct MemoryBrokerBoundsTests {
    let now = TestClock()

    func makeBroker(maxAge: Duration? = nil, maxTopics: Int = 1000) -> MemoryBroker {
        let fanOut = FanOut(eventLoopGroup: NIOAsyncTestingEventLoop(), heartbeatInterval: .seconds(15))
        let now = self.now
        return MemoryBroker(
            fanOut: fanOut, retention: RetentionPolicy(maxLength: 100, maxAge: maxAge), maxTopics: maxTopics,
            clock: { now.value.withLock { $0 } }
        )
    }

    func topic(_ index: Int) -> Topic { try! Topic("user/\(index)") }

    @discardableResult
    func publish(_ broker: MemoryBroker, _ topic: Topic) async throws -> TopicPosition {
        try await broker.publish([NewEvent(topic: topic, type: nil, data: ByteBuffer(string: "x"))])[0]
    }

    func advance(seconds: UInt64) { now.value.withLock { $0 += seconds * 1000 } }

    func topics(_ broker: MemoryBroker) async -> Int {
        await broker.perTopicEntries()[PerTopicEntries.memoryTopics]
    }

    /// What a stream resuming `topic` from `position` is told before its replay.
    func resets(_ broker: MemoryBroker, _ topic: Topic, from position: TopicPosition) async throws -> [ResetReason] {
        let request = StreamRequest(topics: [topic], cursor: Cursor(topics: [topic], positions: [position]))
        let (subscription, plan) = try await StreamOpener(broker: broker).open(request)
        subscription.cancel()
        return plan.resets.map(\.reason)
    }

    @Test("topics idle longer than the maximum age are dropped by the sweep, and their entries with them")
    func idleTopicsExpire() async throws {
        let broker = makeBroker(maxAge: .seconds(60))
        for index in 0..<50 { try await publish(broker, topic(index)) }
        advance(seconds: 30)
        for index in 50..<80 { try await publish(broker, topic(index)) }
        #expect(broker.expireIdleTopics() == 0)
        advance(seconds: 31)
        #expect(broker.expireIdleTopics() == 50, "the first 50 are idle for 61 s, the others for 31 s")
        #expect(await topics(broker) == 30)
        advance(seconds: 30)
        #expect(broker.expireIdleTopics() == 30)
        let entries = await broker.perTopicEntries()
        #expect(entries[PerTopicEntries.memoryTopics] == 0 && entries[PerTopicEntries.memoryRecency] == 0)
    }

    @Test("a publish drops the topics idle past the maximum age, and a topic kept busy never expires")
    func publishesExpireIdleTopics() async throws {
        let broker = makeBroker(maxAge: .seconds(60))
        let busy = topic(0)
        for index in 1...20 { try await publish(broker, topic(index)) }
        for _ in 0..<5 {
            advance(seconds: 20)
            try await publish(broker, busy)
        }
        #expect(await topics(broker) == 1, "the 20 idle topics went with a publish, without a sweep")
        #expect(try await broker.history(of: busy, after: .zero, limit: 10).events.count == 4, "the event of 80 s ago is trimmed")
    }

    @Test("a cursor into an expired topic gets a reset, history_deleted, then history_recreated once it has events again")
    func expiredTopicResets() async throws {
        let broker = makeBroker(maxAge: .seconds(60))
        let position = try await publish(broker, topic(1))
        advance(seconds: 61)
        broker.expireIdleTopics()
        #expect(try await resets(broker, topic(1), from: position) == [.deleted])
        try await publish(broker, topic(1))
        #expect(try await resets(broker, topic(1), from: position) == [.recreated])
    }

    @Test("without a maximum age nothing expires and no sweep is scheduled")
    func noMaximumAge() async throws {
        let broker = makeBroker()
        try await publish(broker, topic(1))
        advance(seconds: 365 * 24 * 3600)
        #expect(broker.expireIdleTopics() == 0)
        #expect(broker.sweepInterval == nil)
        #expect(makeBroker(maxAge: .seconds(600)).sweepInterval == .seconds(60))
        #expect(makeBroker(maxAge: .seconds(5)).sweepInterval == .seconds(1))
    }

    @Test("past the topic cap the least recently published topic is dropped first")
    func capDropsLeastRecentlyPublished() async throws {
        let broker = makeBroker(maxTopics: 3)
        let first = try await publish(broker, topic(1))
        try await publish(broker, topic(2))
        try await publish(broker, topic(3))
        try await publish(broker, topic(1))
        try await publish(broker, topic(4))
        #expect(await topics(broker) == 3)
        #expect(try await broker.history(of: topic(2), after: .zero, limit: 10) == .empty, "topic 2 was published to least recently")
        #expect(try await broker.history(of: topic(1), after: .zero, limit: 10).events.count == 2)
        #expect(try await resets(broker, topic(1), from: first) == [])
    }

    @Test("a cursor into a topic dropped by the cap gets a reset, as for a deleted topic")
    func droppedTopicResets() async throws {
        let broker = makeBroker(maxTopics: 2)
        let position = try await publish(broker, topic(1))
        try await publish(broker, topic(2))
        try await publish(broker, topic(3))
        #expect(try await resets(broker, topic(1), from: position) == [.deleted])
        let recreated = try await publish(broker, topic(1))
        #expect(recreated.epoch != position.epoch && recreated.id.ordinal == 1)
        #expect(try await resets(broker, topic(1), from: position) == [.recreated])
    }

    @Test("a churn of twenty thousand one-off topics keeps the table at the cap and the recency order near it")
    func churnStaysBounded() async throws {
        let broker = makeBroker(maxTopics: 1000)
        for batch in 0..<200 {
            // why: the busy topic 0 is published to in every batch, so it is never the least recent.
            let events = (0..<100).map { NewEvent(topic: topic(batch * 100 + $0), type: nil, data: ByteBuffer(string: "x")) }
            _ = try await broker.publish(events + [NewEvent(topic: topic(0), type: nil, data: ByteBuffer(string: "x"))])
        }
        let entries = await broker.perTopicEntries()
        #expect(entries[PerTopicEntries.memoryTopics] == 1000)
        #expect(entries[PerTopicEntries.memoryRecency] <= 2 * 1000 + 64)
        #expect(try await broker.history(of: topic(0), after: .zero, limit: 1).events.count == 1, "a busy topic is never the least recent")
    }
}
