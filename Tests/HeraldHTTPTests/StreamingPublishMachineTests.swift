import HeraldCore
import NIOCore
import Testing

@testable import HeraldHTTP

/// The streaming publish's decisions, driven with no I/O.
@Suite("Streaming publish state machine")
struct StreamingPublishMachineTests {
    static func events(_ names: String...) -> [NewEvent] {
        names.map { NewEvent(topic: try! Topic("t"), type: nil, data: ByteBuffer(string: $0)) }
    }

    static func positions(_ count: Int, from first: UInt64 = 1) -> [TopicPosition] {
        (0..<UInt64(count)).map { TopicPosition(epoch: 1, id: StreamID(milliseconds: 1, ordinal: first + $0)) }
    }

    func published(_ action: StreamingPublishMachine.Action) -> [String]? {
        guard case .publish(let events) = action else { return nil }
        return events.map { String(buffer: $0.data) }
    }

    @Test("the first lines go out at once; lines that arrive while a publish is in flight go out together after it")
    func oneInFlight() {
        var machine = StreamingPublishMachine(maxBatch: 100, idsLimit: 100)
        #expect(published(machine.received(Self.events("a"))) == ["a"])
        guard case .none = machine.received(Self.events("b")) else { Issue.record("a second publish while one is in flight"); return }
        guard case .none = machine.received(Self.events("c", "d")) else { Issue.record("a second publish while one is in flight"); return }
        #expect(published(machine.published(Self.positions(1), of: Self.events("a"))) == ["b", "c", "d"])
        guard case .none = machine.published(Self.positions(3, from: 2), of: Self.events("b", "c", "d")) else { Issue.record("nothing was left"); return }
        guard case .succeed(let summary) = machine.bodyEnded() else { Issue.record("the end should answer at once"); return }
        #expect(summary.count == 4)
        #expect(summary.json.hasPrefix("{\"count\":4,\"lastId\":\""))
    }

    @Test("the end waits for the publish in flight")
    func endWaits() {
        var machine = StreamingPublishMachine(maxBatch: 100, idsLimit: 100)
        _ = machine.received(Self.events("a"))
        guard case .none = machine.bodyEnded() else { Issue.record("answered before the publish finished"); return }
        guard case .succeed(let summary) = machine.published(Self.positions(1), of: Self.events("a")) else { Issue.record("no answer"); return }
        #expect(summary.count == 1)
        #expect(machine.isFinished)
    }

    @Test("reading stops while a whole batch waits, and goes on once it went out")
    func backpressure() {
        var machine = StreamingPublishMachine(maxBatch: 2, idsLimit: 100)
        _ = machine.received(Self.events("a"))
        #expect(machine.wantsInput)
        _ = machine.received(Self.events("b", "c", "d"))
        #expect(!machine.wantsInput)
        #expect(published(machine.published(Self.positions(1), of: Self.events("a"))) == ["b", "c"], "at most a batch at once")
        #expect(machine.wantsInput == true, "one waits, fewer than a batch")
    }

    @Test("a refused line: what came before is stored, then the request fails naming the line; later lines are ignored")
    func refusedLine() {
        var machine = StreamingPublishMachine(maxBatch: 100, idsLimit: 100)
        _ = machine.received(Self.events("a"))
        _ = machine.received(Self.events("b"))
        guard case .none = machine.refused(EdgeError(.invalidQuery, "bad"), line: 3) else { Issue.record("failed before storing lines 1–2"); return }
        guard case .none = machine.received(Self.events("after")) else { Issue.record("a line after the refused one was taken"); return }
        #expect(published(machine.published(Self.positions(1), of: Self.events("a"))) == ["b"])
        guard case .fail(let failure) = machine.published(Self.positions(1, from: 2), of: Self.events("b")) else { Issue.record("no failure"); return }
        #expect(failure.line == 3)
        #expect(failure.summary.count == 2)
        #expect(failure.storedSentence.hasPrefix("lines 1–2 were stored, nothing after; send the rest from line 3 (with another Idempotency-Key)"))
    }

    @Test("a failed publish ends the request at once and says which lines may have been stored")
    func failedPublish() {
        var machine = StreamingPublishMachine(maxBatch: 100, idsLimit: 100)
        _ = machine.received(Self.events("a"))
        _ = machine.published(Self.positions(1), of: Self.events("a"))
        _ = machine.received(Self.events("b"))
        _ = machine.received(Self.events("c", "d"))
        guard case .fail(let failure) = machine.publishFailed(HeraldError(.backendUnavailable, "down"), mayHaveStored: true) else {
            Issue.record("no failure"); return
        }
        #expect(failure.storedSentence.hasPrefix("line 1 was stored and line 2 may have been"), "\(failure.storedSentence)")
        #expect(failure.storedSentence.hasSuffix("send the whole stream again with the same Idempotency-Key so that each line is stored once"))
        #expect(machine.isFinished)
        guard case .none = machine.bodyEnded() else { Issue.record("answered twice"); return }
    }

    @Test("a refusal before the backend (rate limit) names the first line of the batch and keeps nothing unsure")
    func refusedBeforeTheBackend() {
        var machine = StreamingPublishMachine(maxBatch: 100, idsLimit: 100)
        _ = machine.received(Self.events("a", "b"))
        guard case .fail(let failure) = machine.publishFailed(EdgeError(.rateLimited, "slow down"), mayHaveStored: false) else { Issue.record("no failure"); return }
        #expect(failure.line == 1)
        #expect(failure.storedSentence == "nothing of the stream was stored")
    }

    @Test("the ids are listed while the stream is short, only the count and the last id after that")
    func idsOfLongStreams() {
        var summary = StreamingPublishSummary(idsLimit: 2)
        summary.stored(Self.events("a", "b"), at: Self.positions(2))
        #expect(summary.json.contains("\"ids\":["))
        summary.stored(Self.events("c"), at: Self.positions(1, from: 3))
        #expect(!summary.json.contains("ids"))
        #expect(summary.count == 3)
        let empty = StreamingPublishSummary(idsLimit: 2)
        #expect(empty.json == "{\"count\":0,\"lastId\":null,\"ids\":[]}")
    }

    @Test("a closed connection ends everything: no answer follows")
    func closed() {
        var machine = StreamingPublishMachine(maxBatch: 100, idsLimit: 100)
        _ = machine.received(Self.events("a"))
        machine.closed()
        guard case .none = machine.published(Self.positions(1), of: Self.events("a")) else { Issue.record("acted after the close"); return }
        #expect(!machine.wantsInput)
    }
}
