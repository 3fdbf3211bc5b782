import Benchmark
import HeraldCore
import NIOCore

/// One event of about 100 bytes of SSE: a JSON payload, an event type and a one-topic cursor id.
enum SampleEvent {
    static let type = "price"
    static let data = ByteBuffer(string: #"{"symbol":"ACME","bid":101.25,"ask":101.27,"ts":1763768400123}"#)
    static let id = Cursor(topics: [try! Topic("prices")], positions: [TopicPosition(epoch: 7, id: StreamID(milliseconds: 1_763_768_400_123, ordinal: 42))]).encoded
}

/// Encoding one event into a reused buffer, and framing it as an HTTP/1.1 chunk (what the fan-out does
/// once per event per node).
func sseEncodingBenchmarks() {
    let scaled = Benchmark.Configuration(scalingFactor: .kilo)

    Benchmark("SSE appendEvent (~100 B event, reused buffer)", configuration: scaled) { benchmark in
        var buffer = ByteBufferAllocator().buffer(capacity: 256)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            buffer.clear()
            SSEEncoder.appendEvent(type: SampleEvent.type, data: SampleEvent.data, id: SampleEvent.id, to: &buffer)
            blackHole(buffer.readableBytes)
        }
    }

    Benchmark("WireChunk framing of one encoded event", configuration: scaled) { benchmark in
        let allocator = ByteBufferAllocator()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let chunk = WireChunk(allocator: allocator) {
                SSEEncoder.appendEvent(type: SampleEvent.type, data: SampleEvent.data, id: SampleEvent.id, to: &$0)
            }
            blackHole(chunk)
        }
    }
}
