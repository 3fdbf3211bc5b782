import HeraldCore
import Logging
import NIOCore
import NIOEmbedded

/// A `FanOut` on an `EmbeddedEventLoop` with `sessionCount` live sessions, built through public API only.
///
/// Every session subscribes to `topics` (sorted) and starts from an empty history, so the first event of
/// each topic is ordinal 1. An `EmbeddedEventLoop` may only be used from the thread that created it: build,
/// use and `tearDown()` a fixture inside one benchmark closure.
final class FanOutFixture {
    let loop = EmbeddedEventLoop()
    let fanOut: FanOut
    let topics: [Topic]
    private(set) var outputs: [CountingOutput] = []
    private var sessions: [StreamSession] = []
    private var nextOrdinal: UInt64 = 1

    init(sessionCount: Int, topics: [Topic]) {
        self.topics = topics
        fanOut = FanOut(eventLoopGroup: loop, heartbeatInterval: .seconds(15))
        let request = StreamRequest(topics: topics, cursor: nil)
        let plan = CatchUpPlan.plan(request: request, histories: Array(repeating: .empty, count: topics.count))
        let logger = Logger(label: "herald.benchmarks")
        for _ in 0..<sessionCount {
            let output = CountingOutput()
            let session = StreamSession(topics: request.topics, loop: loop, output: output, logger: logger)
            output.session = session
            fanOut.register(session)
            session.finishCatchUp(plan, subscription: .none())
            outputs.append(output)
            sessions.append(session)
        }
        loop.run()
    }

    /// The next `count` single-event batches of `topics[0]`, in order; build them before measuring.
    func nextBatches(_ count: Int) -> [[StoredEvent]] {
        defer { nextOrdinal += UInt64(count) }
        return (0..<UInt64(count)).map { offset in
            [StoredEvent(
                topic: topics[0],
                position: TopicPosition(epoch: 7, id: StreamID(milliseconds: 1_763_768_400_123, ordinal: nextOrdinal + offset)),
                type: SampleEvent.type,
                data: SampleEvent.data
            )]
        }
    }

    /// Encodes one event once and writes it to every session: the live hot path of a node.
    func deliver(_ batch: [StoredEvent]) {
        fanOut.dispatch(batch)
        loop.run()
    }

    var totalBytes: Int { outputs.reduce(0) { $0 + $1.writtenBytes } }

    func tearDown() {
        for session in sessions { session.connectionClosed() }
        sessions = []
        loop.run()
        try? loop.syncShutdownGracefully()
    }
}
