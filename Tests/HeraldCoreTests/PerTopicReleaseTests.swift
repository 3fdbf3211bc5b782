import Logging
import NIOCore
import NIOEmbedded
import Testing
@testable import HeraldCore

/// Holds a session weakly, so a test can tell whether anything still keeps a closed one.
final class WeakSession {
    weak var value: StreamSession?
    init(_ value: StreamSession) { self.value = value }
}

/// Each structure keyed by topic releases a topic's entry when its last stream leaves: counted, not timed.
@Suite("Per-topic entries are released when the last stream leaves", .timeLimit(.minutes(1)))
struct PerTopicReleaseTests {
    let loop = NIOAsyncTestingEventLoop()
    let fanOut: FanOut
    let broker: MemoryBroker
    let topics = (0..<200).map { try! Topic("user/\($0)") }

    init() {
        fanOut = FanOut(eventLoopGroup: loop, heartbeatInterval: .seconds(15))
        broker = MemoryBroker(fanOut: fanOut, retention: RetentionPolicy())
    }

    /// Opens one session per topic the way the edge does (registered, then caught up), and returns them.
    func openSessions(on topics: [Topic], opener: StreamOpener) async throws -> NIOLoopBound<[StreamSession]> {
        let (fanOut, loop) = (self.fanOut, self.loop)
        let sessions = try await loop.executeInContext {
            NIOLoopBound(topics.map { topic in
                let session = StreamSession(topics: [topic], loop: loop, output: RecordingOutput(), logger: Logger(label: "test"))
                fanOut.register(session)
                return session
            }, eventLoop: loop)
        }
        for (index, topic) in topics.enumerated() {
            let (subscription, plan) = try await opener.open(StreamRequest(topics: [topic], cursor: nil))
            try await loop.executeInContext { sessions.value[index].finishCatchUp(plan, subscription: subscription) }
        }
        await loop.run()
        return sessions
    }

    @Test("after N streams on N distinct topics have closed, the fan-out and the shared reads hold no entry")
    func fanOutReleasesTopics() async throws {
        let opener = StreamOpener(broker: broker)
        let sessions = try await openSessions(on: topics, opener: opener)
        #expect(await fanOut.perTopicEntries()[PerTopicEntries.fanOutTopics] == topics.count)
        try await loop.executeInContext { sessions.value.forEach { $0.connectionClosed() } }
        #expect(await fanOut.perTopicEntries()[PerTopicEntries.fanOutTopics] == 0)
        #expect(opener.perTopicEntries[PerTopicEntries.sharedHistoryReads] == 0)
    }

    @Test("a stream written to outside a delivery pass is released once closed, with no live event and no heartbeat")
    func closedSessionsAreReleased() async throws {
        let (fanOut, loop, topics) = (self.fanOut, self.loop, self.topics)
        let weak = try await loop.executeInContext {
            NIOLoopBound(topics.map { topic in
                let session = StreamSession(topics: [topic], loop: loop, output: RecordingOutput(), logger: Logger(label: "test"))
                fanOut.register(session)
                // why: finishing a catch-up writes the id-only block outside any delivery pass.
                let request = StreamRequest(topics: [topic], cursor: nil)
                session.finishCatchUp(.plan(request: request, histories: [.empty]), subscription: .none())
                session.connectionClosed()
                return WeakSession(session)
            }, eventLoop: loop)
        }
        // why: runs what is due now (the flush pass), not the heartbeat 15 s ahead in virtual time.
        await loop.run()
        let kept = try await loop.executeInContext { weak.value.filter { $0.value != nil }.count }
        #expect(kept == 0, "closed sessions must not stay listed for a flush that no live event or heartbeat brings")
    }

    @Test("after N catch-ups on N distinct topics, waiting and cancelled ones included, no shared read is left")
    func sharedReadsAreReleased() async throws {
        let counting = CountingReader(broker, holdingFirstRead: true)
        let reader = SharedHistoryReader(reader: counting)
        let start = TopicPosition(epoch: 0, id: .zero)
        try await withThrowingTaskGroup(of: Void.self) { group in
            // The first topic's read is held: a second and a third catch-up of it wait for the next read.
            group.addTask { _ = try await reader.catchUpHistory(of: topics[0], from: start) }
            while reader.joinedCount < 1 { await Task.yield() }
            group.addTask { _ = try await reader.catchUpHistory(of: topics[0], from: start) }
            let cancelled = Task { _ = try await reader.catchUpHistory(of: topics[0], from: start) }
            while reader.waitingCount(of: topics[0]) < 2 { await Task.yield() }
            cancelled.cancel()
            for topic in topics.dropFirst() {
                group.addTask { _ = try await reader.catchUpHistory(of: topic, from: start) }
            }
            while reader.joinedCount < topics.count + 2 { await Task.yield() }
            #expect(reader.perTopicEntries[PerTopicEntries.sharedHistoryReads] >= 1)
            counting.openGate()
            try await group.waitForAll()
            _ = await cancelled.result
        }
        #expect(reader.perTopicEntries[PerTopicEntries.sharedHistoryReads] == 0)
    }
}
