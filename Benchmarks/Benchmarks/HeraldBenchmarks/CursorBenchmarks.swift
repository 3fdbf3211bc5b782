import Benchmark
import HeraldCore

/// Encoding and decoding the `id:` cursor of a one-topic and an eight-topic stream.
func cursorBenchmarks() {
    let scaled = Benchmark.Configuration(scalingFactor: .kilo)
    for topicCount in [1, 8] {
        let topics = (0..<topicCount).map { try! Topic("topic-\($0)") }
        let positions = (0..<topicCount).map {
            TopicPosition(epoch: 7 + UInt32($0), id: StreamID(milliseconds: 1_763_768_400_123, ordinal: 1_000 + UInt64($0)))
        }
        let cursor = Cursor(topics: topics, positions: positions)
        let encoded = cursor.encoded

        Benchmark("Cursor encode (\(topicCount) topic\(topicCount == 1 ? "" : "s"))", configuration: scaled) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(cursor.encoded)
            }
        }

        Benchmark("Cursor decode (\(topicCount) topic\(topicCount == 1 ? "" : "s"))", configuration: scaled) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try! Cursor(encoded: encoded))
            }
        }
    }
}
