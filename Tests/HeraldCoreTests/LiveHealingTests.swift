import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing
@testable import HeraldCore

/// A node whose live feed the test controls: `source` holds the topic histories (as Redis would), and
/// only events the test passes to `arrive` reach the node's fan-out live, as if through pub/sub.
@Suite("Healing live delivery after the live feed was lost", .timeLimit(.minutes(1)))
struct LiveHealingTests {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let fanOut: FanOut
    let source: MemoryBroker
    let topic = try! Topic("t")
    let other = try! Topic("u")
    let logger = Logger(label: "test")

    init() {
        fanOut = FanOut(eventLoopGroup: group, heartbeatInterval: .seconds(15))
        // why: the source's own fan-out has no sessions, so publishing there reaches the node only via `arrive`.
        source = MemoryBroker(fanOut: FanOut(eventLoopGroup: group, heartbeatInterval: .seconds(15)), retention: RetentionPolicy())
    }

    /// Stores events in the history; they reach the node only if passed to `arrive`.
    func publish(_ topic: Topic, _ values: [String]) async throws -> [StoredEvent] {
        let positions = try await source.publish(values.map { NewEvent(topic: topic, type: nil, data: ByteBuffer(string: $0)) })
        return zip(values, positions).map { StoredEvent(topic: topic, position: $1, type: nil, data: ByteBuffer(string: $0)) }
    }

    func arrive(_ events: [StoredEvent]) { fanOut.dispatch(events) }

    /// Registers a session; with `finish`, also completes its catch-up from `source`.
    func open(_ topics: [Topic], finish: Bool = true) async throws -> NIOLoopBound<(StreamSession, RecordingOutput)> {
        let loop = group.next()
        let fanOut = self.fanOut
        let bound = try await loop.submit {
            let output = RecordingOutput()
            let session = StreamSession(topics: topics, loop: loop, output: output, logger: Logger(label: "test"))
            output.session = session
            fanOut.register(session)
            return NIOLoopBound((session, output), eventLoop: loop)
        }.get()
        if finish { try await finishCatchUp(bound, topics) }
        return bound
    }

    func finishCatchUp(_ bound: NIOLoopBound<(StreamSession, RecordingOutput)>, _ topics: [Topic]) async throws {
        let (subscription, plan) = try await StreamOpener(broker: source).open(StreamRequest(topics: topics, cursor: nil))
        try await bound.eventLoop.submit { bound.value.0.finishCatchUp(plan, subscription: subscription) }.get()
    }

    func output<T: Sendable>(_ bound: NIOLoopBound<(StreamSession, RecordingOutput)>, _ read: @escaping @Sendable (RecordingOutput) -> T) async throws -> T {
        // why: a no-op submitted after the fan-out's tasks runs after them (one loop, FIFO).
        try await bound.eventLoop.submit { read(bound.value.1) }.get()
    }

    @Test("events missed while the feed was down come from history before the held live events, and the stream stays open")
    func missedEventsAreBackfilled() async throws {
        let stream = try await open([topic])
        arrive(try await publish(topic, ["1"]))
        #expect(!fanOut.isHealing)
        fanOut.holdLive()
        #expect(fanOut.isHealing, "a node holding live events is not ready")
        _ = try await publish(topic, ["2", "3"])  // never arrive live: the feed was down
        arrive(try await publish(topic, ["4"]))  // arrives after re-subscribing, before the heal
        #expect(try await output(stream) { $0.dataLines } == ["1"], "live events are held until the heal")
        await fanOut.heal([topic], from: source, logger: logger)
        #expect(!fanOut.isHealing)
        arrive(try await publish(topic, ["5"]))
        #expect(try await output(stream) { $0.dataLines } == ["1", "2", "3", "4", "5"])
        #expect(try await output(stream) { $0.closed } == false)
    }

    @Test("streams at different positions each get exactly what they had not seen")
    func streamsAtDifferentPositions() async throws {
        let early = try await open([topic])
        arrive(try await publish(topic, ["1"]))
        let late = try await open([topic, other])
        fanOut.holdLive()
        _ = try await publish(topic, ["2"])
        _ = try await publish(other, ["x"])
        await fanOut.heal([topic, other], from: source, logger: logger)
        #expect(try await output(early) { $0.dataLines } == ["1", "2"])
        #expect(try await output(late) { $0.dataLines } == ["2", "x"])
        #expect(try await output(late) { $0.closed } == false)
    }

    @Test("a stream still catching up when the feed is lost is told to reconnect")
    func catchingUpStreamReconnects() async throws {
        let stream = try await open([topic], finish: false)
        fanOut.holdLive()
        try await finishCatchUp(stream, [topic])
        #expect(try await output(stream) { $0.closed })
        #expect(try await output(stream) { $0.closeReason } == .backendUnavailable)
        #expect(try await output(stream) { $0.text.contains("event: herald.unavailable\ndata: {\"code\":\"backend_unavailable\"") })
        await fanOut.heal([topic], from: source, logger: logger)
    }

    @Test("streams of a topic whose history cannot be read close; the others get their events")
    func unreadableTopicCloses() async throws {
        let failing = try await open([topic])
        let healthy = try await open([other])
        fanOut.holdLive()
        arrive(try await publish(other, ["y"]))
        await fanOut.heal([topic, other], from: FailingReader(failing: topic, source: source), readPatience: .milliseconds(200), logger: logger)
        #expect(try await output(healthy) { $0.dataLines } == ["y"])
        let deadline = ContinuousClock.now + .seconds(5)
        while try await output(failing, { $0.closed }) == false, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))  // closes are spread over one second of real time
        }
        #expect(try await output(failing) { $0.closed })
        #expect(try await output(failing) { $0.closeReason } == .unhealed)
    }

    @Test("a hold of some topics (one Redis Cluster shard's) holds only them: the other topics flow live meanwhile")
    func topicHoldLeavesOtherTopicsLive() async throws {
        let held = try await open([topic])
        let flowing = try await open([other])
        let both = try await open([topic, other])
        arrive(try await publish(topic, ["1"]))
        fanOut.holdLive([topic])
        #expect(fanOut.isHealing && fanOut.heldTopicCount == 1)
        _ = try await publish(topic, ["2"])  // lost with the shard's subscription
        arrive(try await publish(topic, ["3"]))  // arrives once re-subscribed, before the heal
        arrive(try await publish(other, ["x"]))
        #expect(try await output(flowing) { $0.dataLines } == ["x"], "another shard's topic is not held")
        #expect(try await output(held) { $0.dataLines } == ["1"], "the held topic waits for its heal")
        #expect(try await output(both) { $0.dataLines } == ["1", "x"])
        await fanOut.heal([topic], from: source, scope: .healedTopics, logger: logger)
        #expect(!fanOut.isHealing && fanOut.heldTopicCount == 0)
        arrive(try await publish(topic, ["4"]))
        #expect(try await output(held) { $0.dataLines } == ["1", "2", "3", "4"])
        #expect(try await output(both) { $0.dataLines } == ["1", "x", "2", "3", "4"])
        for stream in [held, flowing, both] { #expect(try await output(stream) { $0.closed } == false) }
    }

    @Test("a heal of some topics leaves a hold of every topic in place, and that hold's heal still backfills them all")
    func topicHealKeepsEveryTopicHold() async throws {
        let stream = try await open([topic, other])
        fanOut.holdLive()
        fanOut.holdLive([topic])
        _ = try await publish(topic, ["1"])
        _ = try await publish(other, ["x"])
        await fanOut.heal([topic], from: source, scope: .healedTopics, logger: logger)
        #expect(fanOut.isHealing, "every topic is still held")
        arrive(try await publish(other, ["y"]))
        #expect(try await output(stream) { $0.dataLines } == ["1"])
        await fanOut.heal([topic, other], from: source, logger: logger)
        #expect(!fanOut.isHealing)
        #expect(try await output(stream) { $0.dataLines } == ["1", "x", "y"])
    }

    @Test("a stream catching up is told to reconnect only when one of its topics is held")
    func topicHoldMarksOnlyItsCatchingUpStreams() async throws {
        let onHeld = try await open([topic], finish: false)
        let onOther = try await open([other], finish: false)
        fanOut.holdLive([topic])
        try await finishCatchUp(onHeld, [topic])
        try await finishCatchUp(onOther, [other])
        #expect(try await output(onHeld) { $0.closeReason } == .backendUnavailable)
        #expect(try await output(onOther) { $0.closed } == false)
        await fanOut.heal([topic], from: source, scope: .healedTopics, logger: logger)
    }

    @Test("a history read that fails at first (command connections not back yet) is retried, and the stream stays open")
    func failedReadIsRetried() async throws {
        let stream = try await open([topic])
        fanOut.holdLive()
        _ = try await publish(topic, ["1"])
        await fanOut.heal([topic], from: FlakyReader(failures: 2, source: source), logger: logger)
        #expect(try await output(stream) { $0.dataLines } == ["1"])
        #expect(try await output(stream) { $0.closed } == false)
    }
}

/// Reads from `source` after failing `failures` times.
private final class FlakyReader: TopicHistoryReading {
    private let remainingFailures: Mutex<Int>
    let source: MemoryBroker

    init(failures: Int, source: MemoryBroker) {
        remainingFailures = Mutex(failures)
        self.source = source
    }

    func history(of topic: Topic, after: StreamID?, limit: Int) async throws -> TopicHistory {
        let fail = remainingFailures.withLock { remaining in
            defer { remaining -= 1 }
            return remaining > 0
        }
        if fail { throw HeraldError(.backendUnavailable, "not connected yet") }
        return try await source.history(of: topic, after: after, limit: limit)
    }
}

/// Reads from `source`, except that `failing`'s history cannot be read.
private struct FailingReader: TopicHistoryReading {
    let failing: Topic
    let source: MemoryBroker

    func history(of topic: Topic, after: StreamID?, limit: Int) async throws -> TopicHistory {
        guard topic != failing else { throw HeraldError(.backendUnavailable, "down") }
        return try await source.history(of: topic, after: after, limit: limit)
    }
}
