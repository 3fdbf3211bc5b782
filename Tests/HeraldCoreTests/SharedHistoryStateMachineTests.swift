import Testing
@testable import HeraldCore

@Suite("Shared history reads: who reads and who waits")
struct SharedHistoryStateMachineTests {
    typealias Machine = SharedHistoryReader.StateMachine<Int>
    let topic = try! Topic("t")
    let other = try! Topic("u")

    func at(_ ordinal: UInt64, epoch: UInt32 = 7) -> TopicPosition {
        TopicPosition(epoch: epoch, id: StreamID(milliseconds: 1000 + ordinal, ordinal: ordinal))
    }

    func member(_ id: UInt64, _ start: TopicPosition?) -> Machine.Member { .init(id: id, start: start, waiter: Int(id)) }

    func ledRead(_ action: Machine.JoinAction) -> UInt64? {
        if case .lead(let readID, _) = action { return readID }
        return nil
    }

    @Test("the first request reads at once; those arriving during its read wait, and the first of them leads the next read")
    func followersWaitForTheNextRead() throws {
        var machine = Machine(window: 100)
        let firstAction = ledRead(machine.join(topic, member(1, at(500))))
        let first = try #require(firstAction)
        for id in 2...5 { #expect(ledRead(machine.join(topic, member(UInt64(id), at(450 + UInt64(id))))) == nil) }
        #expect(machine.waitingCount(of: topic) == 4)
        let nextAction = machine.readFinished(topic, readID: first)
        let next = try #require(nextAction)
        #expect(next.batch.members.map(\.waiter) == [2, 3, 4, 5])
        #expect(next.batch.readStart == at(452), "the read starts at the oldest member")
        #expect(machine.waitingCount(of: topic) == 0 && machine.readCount(of: topic) == 1)
        #expect(machine.readFinished(topic, readID: next.readID) == nil)
        #expect(machine.readCount(of: topic) == 0)
    }

    @Test("a request farther than the window from the waiting batch, or of another epoch, reads at once")
    func distantRequestsReadAlone() {
        var machine = Machine(window: 100)
        #expect(ledRead(machine.join(topic, member(1, at(500)))) != nil)
        #expect(ledRead(machine.join(topic, member(2, at(450)))) == nil)
        #expect(ledRead(machine.join(topic, member(3, at(551)))) != nil, "551 - 450 is beyond the window")
        #expect(ledRead(machine.join(topic, member(4, at(460, epoch: 9)))) != nil, "another epoch")
        #expect(ledRead(machine.join(topic, member(5, at(549)))) == nil, "549 - 450 fits")
        #expect(machine.readCount(of: topic) == 3)
        #expect(machine.waitingCount(of: topic) == 2)
    }

    @Test("a request waits only behind a read of nearby positions")
    func followersAttachToANearbyRead() {
        var machine = Machine(window: 100)
        #expect(ledRead(machine.join(topic, member(1, at(10)))) != nil)
        #expect(ledRead(machine.join(topic, member(2, at(900)))) != nil, "nothing nearby is in flight")
        #expect(ledRead(machine.join(topic, member(3, at(880)))) == nil)
        #expect(machine.waitingCount(of: topic) == 1)
    }

    @Test("fresh requests and positions without an epoch join a batch; the batch then reads from the start")
    func freshAndEpochlessRequestsJoin() throws {
        var machine = Machine(window: 100)
        let firstAction = ledRead(machine.join(topic, member(1, nil)))
        let first = try #require(firstAction)
        #expect(ledRead(machine.join(topic, member(2, nil))) == nil)
        #expect(ledRead(machine.join(topic, member(3, at(40)))) == nil)
        #expect(ledRead(machine.join(topic, member(4, TopicPosition.none))) == nil)
        #expect(ledRead(machine.join(topic, member(5, nil))) == nil)
        let nextAction = machine.readFinished(topic, readID: first)
        let next = try #require(nextAction)
        #expect(next.batch.members.count == 4)
        #expect(next.batch.readStart == TopicPosition(epoch: 7, id: .zero))
    }

    @Test("a batch of fresh requests reads only where the topic stands")
    func freshBatchReadsNoEvents() throws {
        var machine = Machine(window: 100)
        let firstAction = ledRead(machine.join(topic, member(1, at(3))))
        let first = try #require(firstAction)
        #expect(ledRead(machine.join(topic, member(2, nil))) == nil)
        let finished = machine.readFinished(topic, readID: first)
        #expect(try #require(finished).batch.readStart == nil)
    }

    @Test("topics are independent")
    func topicsAreIndependent() {
        var machine = Machine(window: 100)
        #expect(ledRead(machine.join(topic, member(1, at(5)))) != nil)
        #expect(ledRead(machine.join(other, member(2, at(5)))) != nil)
        #expect(machine.readCount(of: topic) == 1 && machine.readCount(of: other) == 1)
    }

    @Test("a cancelled waiter leaves its batch, an emptied batch is gone, and a leader cannot leave")
    func cancelledWaitersLeave() throws {
        var machine = Machine(window: 100)
        let firstAction = ledRead(machine.join(topic, member(1, at(5))))
        let first = try #require(firstAction)
        #expect(ledRead(machine.join(topic, member(2, at(6)))) == nil)
        #expect(ledRead(machine.join(topic, member(3, at(7)))) == nil)
        #expect(machine.leave(topic, id: 1) == nil, "a leader is not waiting")
        #expect(machine.leave(topic, id: 2) == 2)
        #expect(machine.leave(topic, id: 2) == nil)
        let nextAction = machine.readFinished(topic, readID: first)
        let next = try #require(nextAction)
        #expect(next.batch.members.map(\.waiter) == [3])
        #expect(ledRead(machine.join(topic, member(4, at(8)))) == nil)
        #expect(machine.leave(topic, id: 4) == 4)
        #expect(machine.readFinished(topic, readID: next.readID) == nil, "nobody is left to read for")
        #expect(machine.readCount(of: topic) == 0)
    }

    @Test("once every read of N topics finished, waiting and departed followers included, the machine holds no topic")
    func releasesEveryTopic() throws {
        var machine = Machine(window: 100)
        let topics = try (0..<100).map { try Topic("user/\($0)") }
        var reads: [(Topic, UInt64)] = []
        for (index, topic) in topics.enumerated() {
            let id = UInt64(2 * index)
            let led = ledRead(machine.join(topic, member(id, at(5))))
            reads.append((topic, try #require(led)))
            #expect(ledRead(machine.join(topic, member(id + 1, at(6)))) == nil)
            if index.isMultiple(of: 2) { #expect(machine.leave(topic, id: id + 1) == Int(id + 1)) }
        }
        #expect(machine.topicCount == topics.count)
        for (topic, readID) in reads {
            if let next = machine.readFinished(topic, readID: readID) {
                #expect(machine.readFinished(topic, readID: next.readID) == nil)
            }
        }
        #expect(machine.topicCount == 0)
    }
}
