import NIOCore
import Testing
@testable import HeraldCore

/// `LiveHold` alone: which frames a hold keeps, and what ending holds writes, in which order.
@Suite("Holding live frames while live delivery heals")
struct LiveHoldTests {
    let a = try! Topic("a")
    let b = try! Topic("b")
    let allocator = ByteBufferAllocator()

    func frame(_ topic: Topic, _ ordinal: UInt64) -> LiveFrame {
        let event = StoredEvent(
            topic: topic, position: TopicPosition(epoch: 7, id: StreamID(milliseconds: 1000 + ordinal, ordinal: ordinal)), type: nil,
            data: ByteBuffer(string: "\(topic.name)\(ordinal)")
        )
        return LiveFrame(event, allocator: allocator)
    }

    func names(_ frames: [LiveFrame]) -> [String] {
        frames.map { "\($0.topic.name)\($0.position.id.ordinal)" }
    }

    @Test("a topic's hold keeps its frames and passes the others")
    func topicHoldKeepsOnlyItsTopic() {
        var hold = LiveHold()
        hold.hold(generation: 1, topics: [a])
        #expect(names(hold.admit([frame(a, 1), frame(b, 1), frame(a, 2)])) == ["b1"])
        let release = hold.release(generation: 1, healed: [a], includingEveryTopic: false, backfill: [frame(a, 0)], unhealed: [])
        #expect(names(release.frames) == ["a0", "a1", "a2"])
        #expect(hold.isEmpty)
    }

    @Test("a heal started before a newer hold of the topic does not end that hold")
    func newerHoldSurvivesOlderHeal() {
        var hold = LiveHold()
        hold.hold(generation: 2, topics: [a])
        _ = hold.admit([frame(a, 1)])
        let release = hold.release(generation: 1, healed: [a], includingEveryTopic: false, backfill: [frame(a, 0)], unhealed: [a])
        #expect(release.frames.isEmpty && release.closingTopics.isEmpty, "neither backfill, held frames nor closes of a hold not ended")
        #expect(!hold.isEmpty)
        #expect(names(hold.release(generation: 2, healed: [a], includingEveryTopic: false, backfill: [], unhealed: []).frames) == ["a1"])
    }

    @Test("a heal of some topics never ends the hold of every topic")
    func topicHealKeepsEveryTopicHold() {
        var hold = LiveHold()
        hold.hold(generation: 1, topics: nil)
        hold.hold(generation: 2, topics: [a])
        #expect(hold.admit([frame(a, 1), frame(b, 1)]).isEmpty)
        let release = hold.release(generation: 2, healed: [a], includingEveryTopic: false, backfill: [frame(a, 0), frame(b, 0)], unhealed: [])
        #expect(names(release.frames) == ["a0"], "the released topic's backfill; its live frames stay with the hold of every topic")
        #expect(!hold.isEmpty)
    }

    @Test("when the hold of every topic ends first, a topic still held on its own keeps its frames until its heal, after its backfill")
    func everyTopicReleaseMovesStillHeldFrames() {
        var hold = LiveHold()
        hold.hold(generation: 1, topics: nil)
        hold.hold(generation: 3, topics: [a])
        _ = hold.admit([frame(a, 5), frame(b, 5)])
        let everyTopic = hold.release(generation: 2, healed: [a, b], includingEveryTopic: true, backfill: [frame(a, 4), frame(b, 4)], unhealed: [])
        #expect(names(everyTopic.frames) == ["b4", "b5"])
        #expect(names(hold.admit([frame(a, 6), frame(b, 6)])) == ["b6"])
        let topic = hold.release(generation: 3, healed: [a], includingEveryTopic: false, backfill: [frame(a, 4)], unhealed: [])
        #expect(names(topic.frames) == ["a4", "a5", "a6"])
        #expect(hold.isEmpty)
    }

    @Test("the per-topic tables give their storage back once a hold of many topics ended (a shard of 5,000 channels healed)")
    func storageGivenBack() {
        var hold = LiveHold()
        let topics = Set((0..<5_000).map { try! Topic("t\($0)") })
        hold.hold(generation: 1, topics: topics)
        _ = hold.admit(topics.prefix(2_000).map { frame($0, 1) })
        let grown = hold.topicTableCapacity
        _ = hold.release(generation: 1, healed: topics, includingEveryTopic: false, backfill: [], unhealed: [])
        #expect(hold.isEmpty)
        #expect(hold.topicTableCapacity < grown / 10, "\(hold.topicTableCapacity) slots kept of \(grown)")
    }

    @Test("unhealed topics close only when their hold ends; an overflow closes the overflowed holds' streams")
    func unhealedAndOverflow() {
        var hold = LiveHold(frameLimit: 10)
        hold.hold(generation: 1, topics: [a, b])
        _ = hold.admit((1...10).map { frame(a, $0) })
        _ = hold.admit([frame(b, 1)])
        let release = hold.release(generation: 1, healed: [a, b], includingEveryTopic: false, backfill: [], unhealed: [])
        #expect(release.frames.isEmpty, "held frames past the limit are dropped")
        #expect(release.closingTopics == [a, b])
        hold.hold(generation: 2, topics: nil)
        _ = hold.admit((1...11).map { frame(a, $0) })
        #expect(hold.release(generation: 2, healed: [], includingEveryTopic: true, backfill: [], unhealed: [b]).closesEverySession)
    }
}
