import Logging
import NIOCore
import NIOEmbedded
import Testing
@testable import HeraldCore

/// Replays paced by the connection, on a virtual-time event loop, with an output that queues like a socket.
@Suite("Replay paced by the connection")
struct StreamSessionReplayTests {
    let loop = NIOAsyncTestingEventLoop()
    let fanOut: FanOut
    let broker: MemoryBroker
    let topic = try! Topic("t")
    /// why: 1 KiB events against 16 KiB water marks make a replay of hundreds of events span many slices.
    let payload = String(repeating: "x", count: 1000)

    init() {
        fanOut = FanOut(eventLoopGroup: loop, heartbeatInterval: .seconds(15))
        broker = MemoryBroker(fanOut: fanOut, retention: RetentionPolicy(maxLength: 10_000))
    }

    typealias Opened = NIOLoopBound<(session: StreamSession, output: PacedOutput)>

    @discardableResult
    func publish(_ range: Range<Int>) async throws -> [TopicPosition] {
        try await broker.publish(range.map { NewEvent(topic: topic, type: nil, data: ByteBuffer(string: "\($0) \(payload)")) })
    }

    func expected(_ range: Range<Int>) -> [String] { range.map { "\($0) \(payload)" } }

    /// Opens a session resuming after `start` and hands it its catch-up; `during` runs after the history
    /// was read and before the hand-off.
    func open(
        after start: TopicPosition, bufferedLiveLimit: Int = .max, replayStallLimit: TimeAmount? = nil,
        during: () async throws -> Void = {}, configure: @escaping @Sendable (PacedOutput) -> Void = { _ in }
    ) async throws -> Opened {
        let (fanOut, loop, topic) = (self.fanOut, self.loop, self.topic)
        let bound = try await loop.executeInContext {
            let output = PacedOutput(highWaterMark: 16 << 10, lowWaterMark: 4 << 10)
            configure(output)
            let session = StreamSession(
                topics: [topic], loop: loop, output: output, logger: Logger(label: "test"),
                bufferedLiveLimit: bufferedLiveLimit, replayStallLimit: replayStallLimit
            )
            output.session = session
            fanOut.register(session)
            return Opened((session, output), eventLoop: loop)
        }
        let request = StreamRequest(topics: [topic], cursor: Cursor(topics: [topic], positions: [start]))
        let (subscription, plan) = try await StreamOpener(broker: broker).open(request)
        try await during()
        await loop.run()
        try await loop.executeInContext { bound.value.session.finishCatchUp(plan, subscription: subscription) }
        return bound
    }

    func on<T: Sendable>(_ opened: Opened, _ body: @escaping @Sendable (StreamSession, PacedOutput) -> T) async throws -> T {
        await loop.run()
        return try await loop.executeInContext { body(opened.value.session, opened.value.output) }
    }

    @Test("a large replay to a client that reads slowly arrives complete and in order, with live events after it, and little queued")
    func slowReaderGetsEverything() async throws {
        let positions = try await publish(0..<600)
        let opened = try await open(after: positions[99]) {
            try await publish(600..<620)
        }
        #expect(try await on(opened) { session, output in session.phase == .replaying && output.queued < 20 << 10 })
        try await publish(620..<640)
        var reads = 0
        while try await on(opened, { session, output in
            output.read(3000)
            return session.phase == .replaying
        }) {
            reads += 1
            #expect(reads < 10_000)
        }
        let (lines, peak, isLive) = try await on(opened) { ($1.dataLines, $1.peakQueued, $0.phase == .live) }
        #expect(isLive)
        try await publish(640..<650)
        let flushed = try await on(opened) { _, output in output.read(.max); return output.dataLines }
        #expect(flushed == expected(100..<650))
        #expect(lines.count > 500, "the replay and the buffered live events arrived before going live")
        // why: the session stops writing at the high-water mark; one event (about 1 KiB framed) may cross it.
        #expect(peak <= (16 << 10) + 1100)
    }

    @Test("a flush that makes the output writable at once lets the replay go on, without recursion")
    func writableAgainDuringFlush() async throws {
        let positions = try await publish(0..<500)
        let opened = try await open(after: positions[0], configure: { $0.readsOnFlush = true })
        let (lines, isLive) = try await on(opened) { ($1.dataLines, $0.phase == .live) }
        #expect(isLive)
        #expect(lines == expected(1..<500))
    }

    @Test("a client that takes none of its replay is cut after the stall limit, with no more than the high-water mark queued")
    func stalledReplayIsCut() async throws {
        let positions = try await publish(0..<600)
        let opened = try await open(after: positions[0], replayStallLimit: .seconds(30))
        #expect(try await on(opened) { session, output in !output.closed && output.queued <= (16 << 10) + 1100 })
        await loop.advanceTime(by: .seconds(20))
        try await on(opened) { _, output in output.read(14_000) }  // below the low-water mark: the replay goes on, the stall restarts
        await loop.advanceTime(by: .seconds(20))
        #expect(try await on(opened) { _, output in !output.closed })
        await loop.advanceTime(by: .seconds(11))
        #expect(try await on(opened) { session, output in output.cutForNotReading && session.isClosed })
        #expect(await fanOut.sessionCount() == 0)
    }

    @Test("a client that takes a few bytes within each stall limit is not cut, however slowly it reads")
    func tricklingReaderIsNotCut() async throws {
        let positions = try await publish(0..<600)
        let opened = try await open(after: positions[0], replayStallLimit: .seconds(30))
        for _ in 0..<3 {
            await loop.advanceTime(by: .seconds(25))
            try await on(opened) { _, output in output.read(1000) }  // stays above the low-water mark
        }
        await loop.advanceTime(by: .seconds(25))
        #expect(try await on(opened) { session, output in !output.closed && session.phase == .replaying })
        await loop.advanceTime(by: .seconds(30))
        #expect(try await on(opened) { _, output in output.cutForNotReading }, "then it stops reading altogether")
    }

    @Test("live events piling up beyond the limit during a stalled replay cut the stream")
    func liveBacklogDuringReplayIsCut() async throws {
        let positions = try await publish(0..<200)
        let opened = try await open(after: positions[0], bufferedLiveLimit: 20 << 10)
        #expect(try await on(opened) { session, _ in session.phase == .replaying })
        try await publish(200..<215)
        #expect(try await on(opened) { _, output in !output.closed })
        try await publish(215..<230)
        #expect(try await on(opened) { session, output in output.cutForNotReading && session.isClosed })
    }

    @Test("live events piling up beyond the limit while history is read end the stream with a herald.unavailable notice")
    func liveBacklogDuringReadFailsCatchUp() async throws {
        let positions = try await publish(0..<10)
        let opened = try await open(after: positions[0], bufferedLiveLimit: 20 << 10) {
            try await publish(10..<40)
        }
        let (text, closed, cut) = try await on(opened) { _, output in
            output.read(.max)
            return (String(buffer: output.received), output.closed, output.cutForNotReading)
        }
        #expect(closed && !cut)
        #expect(text.contains("retry: 3000\n\nevent: herald.unavailable\n"))
        #expect(!text.contains("data: 1 "), "nothing of the replay is written")
    }
}
