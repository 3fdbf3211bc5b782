import Logging
import NIOCore
import NIOEmbedded
import Testing
@testable import HeraldCore

/// A session opened the way the HTTP edge opens one, driven on a virtual-time event loop.
struct OpenedSession: Sendable {
    let bound: NIOLoopBound<(session: StreamSession, output: RecordingOutput)>
    let loop: NIOAsyncTestingEventLoop

    func read<T: Sendable>(_ body: @escaping @Sendable (StreamSession, RecordingOutput) -> T) async throws -> T {
        await loop.run()
        return try await loop.executeInContext { body(bound.value.session, bound.value.output) }
    }

    var dataLines: [String] { get async throws { try await read { $1.dataLines } } }
    var ids: [String] { get async throws { try await read { $1.ids } } }
    var comments: Int { get async throws { try await read { $1.comments } } }
    var closed: Bool { get async throws { try await read { $1.closed } } }
}

@Suite("Stream sessions and fan-out")
struct StreamSessionTests {
    let loop = NIOAsyncTestingEventLoop()
    let fanOut: FanOut
    let broker: MemoryBroker
    let topic = try! Topic("t")
    let other = try! Topic("u")

    init() {
        self.init(coalescing: CoalescingPolicy.Configuration(window: .zero))
    }

    init(coalescing: CoalescingPolicy.Configuration) {
        fanOut = FanOut(eventLoopGroup: loop, heartbeatInterval: .seconds(15), coalescing: coalescing)
        broker = MemoryBroker(fanOut: fanOut, retention: RetentionPolicy(maxLength: 100))
    }

    func publish(_ topic: Topic, _ values: [String]) async throws -> [TopicPosition] {
        try await broker.publish(values.map { NewEvent(topic: topic, type: nil, data: ByteBuffer(string: $0)) })
    }

    /// Opens a session; `during` runs after history was read and before the hand-off to live.
    func open(_ request: StreamRequest, during: () async throws -> Void = {}) async throws -> OpenedSession {
        let (fanOut, loop) = (self.fanOut, self.loop)
        let bound = try await loop.executeInContext {
            let output = RecordingOutput()
            let session = StreamSession(topics: request.topics, loop: loop, output: output, logger: Logger(label: "test"))
            output.session = session
            fanOut.register(session)
            return NIOLoopBound((session: session, output: output), eventLoop: loop)
        }
        let (subscription, plan) = try await StreamOpener(broker: broker).open(request)
        try await during()
        await loop.run()
        try await loop.executeInContext { bound.value.session.finishCatchUp(plan, subscription: subscription) }
        return OpenedSession(bound: bound, loop: loop)
    }

    @Test("a fresh session gets an id-only block, then live events")
    func freshSession() async throws {
        _ = try await publish(topic, ["old"])
        let opened = try await open(StreamRequest(topics: [topic], cursor: nil))
        #expect(try await opened.dataLines.isEmpty)
        #expect(try await opened.ids.count == 1)
        _ = try await publish(topic, ["a", "b"])
        #expect(try await opened.dataLines == ["a", "b"])
        #expect(try await opened.read { $1.flushes } == 2)
    }

    @Test("events published during catch-up are delivered once, after the replay")
    func catchUpHandOff() async throws {
        let positions = try await publish(topic, ["1", "2", "3"])
        let cursor = Cursor(topics: [topic], positions: [positions[0]])
        let opened = try await open(StreamRequest(topics: [topic], cursor: cursor)) {
            _ = try await publish(topic, ["4", "5"])
        }
        #expect(try await opened.dataLines == ["2", "3", "4", "5"])
        _ = try await publish(topic, ["6"])
        #expect(try await opened.dataLines == ["2", "3", "4", "5", "6"])
    }

    @Test("the last id of a stream resumes exactly where it stopped")
    func idResumesExactly() async throws {
        let first = try await open(StreamRequest(topics: [topic], cursor: nil))
        _ = try await publish(topic, ["1", "2"])
        let lastID = try #require(try await first.ids.last)
        _ = try await publish(topic, ["3", "4"])
        let second = try await open(StreamRequest(topics: [topic], cursor: try Cursor(encoded: lastID)))
        #expect(try await second.dataLines == ["3", "4"])
    }

    @Test("a multi-topic id resumes every topic")
    func multiTopicResume() async throws {
        let first = try await open(StreamRequest(topics: [topic, other], cursor: nil))
        _ = try await publish(topic, ["t1"])
        _ = try await publish(other, ["u1"])
        #expect(try await first.dataLines == ["t1", "u1"])
        let lastID = try #require(try await first.ids.last)
        _ = try await publish(other, ["u2"])
        _ = try await publish(topic, ["t2"])
        let second = try await open(StreamRequest(topics: [other, topic], cursor: try Cursor(encoded: lastID)))
        // why: across topics, replay is ordered by publish millisecond only; each topic's own order is exact.
        #expect(try await second.dataLines.sorted() == ["t2", "u2"])
    }

    @Test("sessions at the same positions share one encoded id")
    func sharedCursorChunk() async throws {
        let a = try await open(StreamRequest(topics: [topic, other], cursor: nil))
        let b = try await open(StreamRequest(topics: [topic, other], cursor: nil))
        _ = try await publish(topic, ["x"])
        #expect(try await a.ids.last == b.ids.last)
        #expect(try await a.dataLines == ["x"])
        #expect(try await b.dataLines == ["x"])
    }

    @Test("a gap on the live path closes the session")
    func liveGapCloses() async throws {
        let opened = try await open(StreamRequest(topics: [topic], cursor: nil))
        let skipped = StoredEvent(topic: topic, position: TopicPosition(epoch: 9, id: StreamID(milliseconds: 1, ordinal: 5)), type: nil, data: ByteBuffer(string: "x"))
        fanOut.dispatch([skipped])
        #expect(try await opened.closed)
        #expect(try await opened.read { session, _ in session.isClosed })
        #expect(try await opened.read { _, output in output.closeReason } == .liveGap)
    }

    @Test("a live event that reuses an ordinal with a later time (a failover rewound the history) closes the session; a plain duplicate does not")
    func rewrittenOrdinalCloses() async throws {
        let positions = try await publish(topic, ["1", "2", "3"])
        let opened = try await open(StreamRequest(topics: [topic], cursor: nil))
        let third = positions[2]
        func event(ordinal: UInt64, milliseconds: UInt64) -> StoredEvent {
            StoredEvent(topic: topic, position: TopicPosition(epoch: third.epoch, id: StreamID(milliseconds: milliseconds, ordinal: ordinal)), type: nil, data: ByteBuffer(string: "x"))
        }
        fanOut.dispatch([event(ordinal: 2, milliseconds: positions[1].id.milliseconds), event(ordinal: 3, milliseconds: third.id.milliseconds)])
        #expect(try await opened.closed == false, "duplicates are dropped")
        fanOut.dispatch([event(ordinal: 3, milliseconds: third.id.milliseconds + 60_000)])
        #expect(try await opened.closed)
        #expect(try await opened.read { _, output in output.closeReason } == .liveGap)
        #expect(try await opened.dataLines.isEmpty)
    }

    @Test("a closed session is unregistered and receives nothing more")
    func closedSession() async throws {
        let opened = try await open(StreamRequest(topics: [topic], cursor: nil))
        _ = try await opened.read { session, _ in session.connectionClosed() }
        _ = try await publish(topic, ["late"])
        #expect(try await opened.dataLines.isEmpty)
        #expect(await fanOut.sessionCount() == 0)
    }

    @Test("closing all sessions completes once every session is gone")
    func closeAll() async throws {
        let a = try await open(StreamRequest(topics: [topic], cursor: nil))
        let b = try await open(StreamRequest(topics: [other], cursor: nil))
        let (fanOut, loop) = (self.fanOut, self.loop)
        async let drained: Void = fanOut.closeAll(spreadOver: .milliseconds(10))
        while await fanOut.sessionCount() > 0 { await loop.advanceTime(by: .milliseconds(5)) }
        await drained
        #expect(try await a.closed)
        #expect(try await b.closed)
    }

    @Test("heartbeats go only to idle sessions")
    func heartbeats() async throws {
        let idle = try await open(StreamRequest(topics: [topic], cursor: nil))
        let busy = try await open(StreamRequest(topics: [other], cursor: nil))
        await loop.advanceTime(by: .seconds(15))  // both wrote their id-only block in this interval
        #expect(try await idle.comments == 0)
        _ = try await publish(other, ["x"])
        await loop.advanceTime(by: .seconds(15))
        #expect(try await idle.comments == 1)
        #expect(try await busy.comments == 0)
        await loop.advanceTime(by: .seconds(15))
        #expect(try await idle.comments == 2)
        #expect(try await busy.comments == 1)
    }
}
