import HeraldClient
import Testing
@testable import HeraldBench

@Suite("Recording deliveries")
struct DeliveryRecorderTests {
    @Test("gaps, duplicates, out-of-order and malformed events are counted per subscriber")
    func checks() {
        let recorder = DeliveryRecorder(subscribers: 2, seconds: 3, idDepth: nil)
        let now = BenchPayload.wallClockNanoseconds()
        for sequence: UInt64 in [1, 2, 2, 5, 4] { recorder.receive(SSELoadEvent(sequence: sequence, timestamp: now), subscriber: 0) }
        recorder.receive(SSELoadEvent(sequence: 1, timestamp: now), subscriber: 1)
        recorder.receive(SSELoadEvent(sequence: 2), subscriber: 1)
        let stats = recorder.stats
        #expect(stats.delivered == 7 && stats.duplicates == 1 && stats.gaps == 2 && stats.outOfOrder == 1 && stats.malformed == 1)
        #expect(stats.latency.count == 6)
    }

    @Test("with a resume depth the ring keeps in-order events with their ids")
    func keepsIDs() {
        let recorder = DeliveryRecorder(subscribers: 1, seconds: 1, idDepth: 2)
        for sequence in UInt64(1)...4 {
            recorder.receive(SSELoadEvent(sequence: sequence, timestamp: 1, id: Array("c\(sequence)".utf8)[...]), subscriber: 0)
        }
        let oldest = recorder.ring?.oldest(subscriber: 0)
        #expect(oldest?.sequence == 3 && oldest?.newest == 4 && oldest.map { String(decoding: $0.id, as: UTF8.self) } == "c3")
    }
}
