import NIOCore
import NIOEmbedded
import Synchronization
import Testing
@testable import HeraldCore

@Suite("Memory broker history")
struct MemoryBrokerTests {
    let topic = try! Topic("t")
    let now = TestClock()

    func makeBroker(_ retention: RetentionPolicy) -> MemoryBroker {
        let fanOut = FanOut(eventLoopGroup: NIOAsyncTestingEventLoop(), heartbeatInterval: .seconds(15))
        let now = self.now
        return MemoryBroker(fanOut: fanOut, retention: retention, clock: { now.value.withLock { $0 } })
    }

    func events(_ count: Int) -> [NewEvent] {
        (1...count).map { NewEvent(topic: topic, type: nil, data: ByteBuffer(string: "\($0)")) }
    }

    @Test("ids have contiguous ordinals and never go back in time")
    func ids() async throws {
        let broker = makeBroker(RetentionPolicy())
        let first = try await broker.publish(events(2))
        now.value.withLock { $0 = 500 }
        let second = try await broker.publish(events(1))
        #expect((first + second).map(\.id.ordinal) == [1, 2, 3])
        #expect(second[0].id.milliseconds == 1_000)
        #expect(Set((first + second).map(\.epoch)).count == 1)
    }

    @Test("history is trimmed to the maximum length")
    func lengthRetention() async throws {
        let broker = makeBroker(RetentionPolicy(maxLength: 3))
        _ = try await broker.publish(events(10))
        let history = try await broker.history(of: topic, after: .zero, limit: 100)
        #expect(history.events.map(\.position.id.ordinal) == [8, 9, 10])
        #expect(history.last.ordinal == 10)
    }

    @Test("history is trimmed by age and an idle topic expires")
    func ageRetention() async throws {
        let broker = makeBroker(RetentionPolicy(maxLength: 100, maxAge: .seconds(10)))
        _ = try await broker.publish(events(2))
        now.value.withLock { $0 += 6_000 }
        _ = try await broker.publish(events(1))
        now.value.withLock { $0 += 6_000 }
        #expect(try await broker.history(of: topic, after: .zero, limit: 10).events.map(\.position.id.ordinal) == [3])
        now.value.withLock { $0 += 20_000 }
        #expect(try await broker.history(of: topic, after: .zero, limit: 10) == .empty)
    }

    @Test("a deleted topic starts a new epoch at ordinal 1")
    func newEpoch() async throws {
        let broker = makeBroker(RetentionPolicy())
        let before = try await broker.publish(events(3))
        broker.deleteTopic(topic)
        let after = try await broker.publish(events(1))
        #expect(after[0].id.ordinal == 1)
        #expect(after[0].epoch != before[0].epoch)
    }

    @Test("a page holds at most the limit and continues after the given id")
    func paging() async throws {
        let broker = makeBroker(RetentionPolicy())
        let positions = try await broker.publish(events(5))
        let page = try await broker.history(of: topic, after: positions[1].id, limit: 2)
        #expect(page.events.map(\.position.id.ordinal) == [3, 4])
        #expect(try await broker.history(of: topic, after: nil, limit: 2).events.isEmpty)
    }
}

/// A settable millisecond clock shared between a test and the broker it drives.
final class TestClock: Sendable {
    let value = Mutex<UInt64>(1_000)
}
