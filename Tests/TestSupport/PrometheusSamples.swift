/// The samples of a Prometheus text exposition (`GET /metrics`): one `name{labels} value` a line, `#` lines
/// skipped. Labels are kept as written, e.g. `endpoint="publish",status="200"`.
package struct PrometheusSamples: Sendable {
    package struct Sample: Sendable, Equatable {
        package var name: String
        package var labels: String
        package var value: Double
    }

    package let samples: [Sample]

    package init(_ text: String) {
        samples = text.split(separator: "\n").compactMap { line -> Sample? in
            guard !line.hasPrefix("#"), let match = line.wholeMatch(of: /([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/) else { return nil }
            return Sample(name: String(match.output.1), labels: match.output.2.map(String.init) ?? "", value: Double(match.output.3) ?? .nan)
        }
    }

    /// Every sample name (histograms show as their `_bucket`, `_sum` and `_count` series).
    package var names: Set<String> { Set(samples.map(\.name)) }

    /// The value of the sample `name` with exactly `labels`, or nil when there is none.
    package func value(_ name: String, labels: String = "") -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }
}
