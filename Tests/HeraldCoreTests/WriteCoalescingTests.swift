import NIOCore
import Testing
@testable import HeraldCore

/// Live events that reach an event loop while it is busy (or, under a fan-out, within the coalescing window) go
/// out together: one pass, one flush per connection, in order. An idle loop writes at once.
@Suite("Write coalescing in the fan-out")
struct WriteCoalescingTests {
    @Test("events that arrive while the loop is busy are written in one pass: one write and one flush per connection")
    func coalescesWhileBusy() async throws {
        let sessions = StreamSessionTests()
        let opened = try await sessions.open(StreamRequest(topics: [sessions.topic], cursor: nil))
        let both = try await sessions.open(StreamRequest(topics: [sessions.topic, sessions.other], cursor: nil))
        let (flushesBefore, writesBefore) = try await opened.read { ($1.flushes, $1.writes) }
        // Dispatched from a task running on the loop: the loop is busy, as when it writes a previous pass.
        let (fanOut, topic) = (sessions.fanOut, sessions.topic)
        try await sessions.loop.executeInContext {
            for (ordinal, value) in ["a", "b", "c"].enumerated() {
                let position = TopicPosition(epoch: 7, id: StreamID(milliseconds: 1, ordinal: UInt64(ordinal + 1)))
                fanOut.dispatch([StoredEvent(topic: topic, position: position, type: nil, data: ByteBuffer(string: value))])
            }
        }
        #expect(try await opened.dataLines == ["a", "b", "c"])
        #expect(try await opened.read { $1.flushes } == flushesBefore + 1)
        #expect(try await opened.read { $1.writes } == writesBefore + 1)
        #expect(try await opened.ids.count == 4)
        // A two-topic stream needs its own id after each event, so it takes them one by one.
        #expect(try await both.dataLines == ["a", "b", "c"])
        #expect(try await both.ids.count == 4)
    }

    @Test("with a coalescing window, an event reaching an idle loop is written at once")
    func idleLoopWritesAtOnce() async throws {
        let sessions = StreamSessionTests(coalescing: CoalescingPolicy.Configuration(window: .milliseconds(10)))
        let opened = try await sessions.open(StreamRequest(topics: [sessions.topic], cursor: nil))
        let flushesBefore = try await opened.read { $1.flushes }
        _ = try await sessions.publish(sessions.topic, ["a"])
        #expect(try await opened.dataLines == ["a"], "no virtual time passed: the window was not waited for")
        _ = try await sessions.publish(sessions.topic, ["b"])
        #expect(try await opened.dataLines == ["a", "b"])
        #expect(try await opened.read { $1.flushes } == flushesBefore + 2)
    }

    @Test("once a pass shares writes, the next events wait for the window and go out together, even after a gap")
    func sharedWritesStartTheWindow() async throws {
        // why: a threshold of 1 lets one stream stand for a fan-out (one run of two events shares one delivery).
        var coalescing = CoalescingPolicy.Configuration(window: .milliseconds(10))
        coalescing.busyThreshold = 1
        let sessions = StreamSessionTests(coalescing: coalescing)
        let opened = try await sessions.open(StreamRequest(topics: [sessions.topic], cursor: nil))
        let flushesBefore = try await opened.read { $1.flushes }
        _ = try await sessions.publish(sessions.topic, ["a", "b"])
        #expect(try await opened.dataLines == ["a", "b"], "the first pass of an idle loop is written at once")
        _ = try await sessions.publish(sessions.topic, ["c"])
        await sessions.loop.advanceTime(by: .milliseconds(5))
        _ = try await sessions.publish(sessions.topic, ["d"])
        #expect(try await opened.dataLines == ["a", "b"])
        await sessions.loop.advanceTime(by: .milliseconds(5))
        #expect(try await opened.dataLines == ["a", "b", "c", "d"])
        #expect(try await opened.read { $1.flushes } == flushesBefore + 2)
        // A gap of a few windows: only passes that share nothing end the coalescing, not the gap.
        await sessions.loop.advanceTime(by: .milliseconds(30))
        _ = try await sessions.publish(sessions.topic, ["e"])
        #expect(try await opened.dataLines == ["a", "b", "c", "d"])
        await sessions.loop.advanceTime(by: .milliseconds(10))
        #expect(try await opened.dataLines == ["a", "b", "c", "d", "e"])
        #expect(try await opened.read { $1.flushes } == flushesBefore + 3)
    }

    @Test("a hold posted between two batches applies to the second only")
    func holdKeepsItsPlaceInLine() async throws {
        let sessions = StreamSessionTests()
        let opened = try await sessions.open(StreamRequest(topics: [sessions.topic], cursor: nil))
        _ = try await sessions.publish(sessions.topic, ["before"])
        sessions.fanOut.holdLive()
        _ = try await sessions.publish(sessions.topic, ["held"])
        #expect(try await opened.dataLines == ["before"])
    }
}
