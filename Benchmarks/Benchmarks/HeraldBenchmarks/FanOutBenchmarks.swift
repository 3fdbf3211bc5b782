import Benchmark
import HeraldCore

/// One event dispatched to 1,000 live sessions on one (embedded) event loop: encoding once, then one write
/// and one flush per session. Divide the per-dispatch figures by 1,000 for the cost per delivery.
///
/// The one-topic case writes the shared complete chunk; the two-topic case writes the shared fields chunk
/// plus a cursor `id:` chunk that sessions standing at the same positions share (`CursorChunkMemo`).
func fanOutBenchmarks() {
    let sessionCount = 1_000
    // why: a sample is 1,000 dispatches (1M deliveries), reported per dispatch; a fresh fixture per sample
    // keeps the embedded loop on the thread that runs the closure.
    let configuration = Benchmark.Configuration(warmupIterations: 2, scalingFactor: .kilo, maxDuration: .seconds(5), maxIterations: 200)

    for topicNames in [["prices"], ["news", "prices"]] {
        let name = "FanOut dispatch of one event to \(sessionCount) sessions (\(topicNames.count) topic\(topicNames.count == 1 ? "" : "s") each)"
        Benchmark(name, configuration: configuration) { benchmark in
            let topics = topicNames.map { try! Topic($0) }
            // why: the event goes to the first topic; for two topics that is "news" (sorted order).
            let fixture = FanOutFixture(sessionCount: sessionCount, topics: topics)
            // Warm-up outside the measurement: the first delivery grows the loop's per-session bookkeeping.
            for batch in fixture.nextBatches(2) { fixture.deliver(batch) }
            let batches = fixture.nextBatches(benchmark.scaledIterations.count)
            let bytesBefore = fixture.totalBytes

            benchmark.startMeasurement()
            for batch in batches {
                fixture.deliver(batch)
            }
            benchmark.stopMeasurement()

            precondition(fixture.totalBytes > bytesBefore, "sessions received the events")
            fixture.tearDown()
        }
    }
}
