import HeraldClient
import NIOCore
import Testing
@testable import HeraldBench

@Suite("Checking resumed streams")
struct ResumeRecorderTests {
    private func event(_ sequence: UInt64?) -> SSELoadEvent {
        SSELoadEvent(sequence: sequence, timestamp: 1)
    }

    @Test("exactly the expected events in order complete a subscriber with no fault")
    func exact() {
        let recorder = ResumeRecorder(subscribers: 2)
        recorder.expect(subscriber: 0, first: 51, last: 53, started: .now())
        recorder.expect(subscriber: 1, first: 51, last: 53, started: .now())
        for sequence in UInt64(51)...53 { recorder.receive(event(sequence), subscriber: 0) }
        recorder.receive(event(51), subscriber: 1)
        let stats = recorder.stats
        #expect(stats.completed == 1 && stats.reachedLast == 1 && stats.broken == 0)
        #expect(stats.missing == 2 && stats.resumeTime.count == 1 && stats.lastCompletion != nil)
    }

    @Test("gaps, duplicates, replays from too far back and extra events break a subscriber")
    func faults() {
        let recorder = ResumeRecorder(subscribers: 4)
        for slot in 0..<4 { recorder.expect(subscriber: slot, first: 11, last: 13, started: .now()) }
        for sequence: UInt64 in [11, 13] { recorder.receive(event(sequence), subscriber: 0) }
        for sequence: UInt64 in [11, 11, 12, 13] { recorder.receive(event(sequence), subscriber: 1) }
        for sequence: UInt64 in [9, 11, 12, 13] { recorder.receive(event(sequence), subscriber: 2) }
        for sequence: UInt64? in [11, 12, 13, 14, nil] { recorder.receive(event(sequence), subscriber: 3) }
        let stats = recorder.stats
        #expect(stats.gaps == 1 && stats.duplicates == 1 && stats.outOfOrder == 1 && stats.unexpected == 2)
        #expect(stats.broken == 4 && stats.completed == 0 && stats.reachedLast == 4, "an extra event after the last breaks a completed subscriber too")
        #expect(stats.missing == 1)
    }
}
