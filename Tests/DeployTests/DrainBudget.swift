/// How long `herald serve` may take to stop after SIGTERM: `/readyz` answers 503 for the drain grace while the
/// node keeps serving, then streams close within the drain window. Every stop timeout must exceed the sum.
struct DrainBudget {
    struct InvalidDuration: Error, CustomStringConvertible {
        var description: String
    }

    /// herald's defaults, used where a deployment file leaves a variable unset.
    static let defaults = ["HERALD_DRAIN_GRACE": "5s", "HERALD_DRAIN_WINDOW": "3s"]

    var grace: Duration
    var window: Duration

    var total: Duration {
        grace + window
    }

    /// Reads both settings from the environment a deployment file gives herald, as herald would.
    init(environment: [String: String]) throws {
        func setting(_ name: String) throws -> Duration {
            let text = environment[name] ?? Self.defaults[name]!
            guard let duration = Self.heraldDuration(text) else {
                throw InvalidDuration(description: "\(name)=\(text) is not a duration herald accepts (500ms, 5s, 10m, 24h or 0)")
            }
            return duration
        }
        grace = try setting("HERALD_DRAIN_GRACE")
        window = try setting("HERALD_DRAIN_WINDOW")
    }

    /// herald's own format: `0`, or a whole number followed by one of `ms`, `s`, `m`, `h`.
    static func heraldDuration(_ text: String) -> Duration? {
        if text == "0" { return .zero }
        guard let match = text.wholeMatch(of: /(\d+)(ms|s|m|h)/), let number = Int64(match.output.1) else { return nil }
        return unit(match.output.2).map { $0 * number }
    }

    /// The form Compose and systemd accept: terms like `30s`, `1m30s`, `1min 30s`; a bare number is seconds.
    static func stopTimeout(_ text: String) -> Duration? {
        if let seconds = Int64(text) { return .seconds(seconds) }
        let compact = text.replacing(" ", with: "")
        guard compact.wholeMatch(of: /(\d+(ms|min|s|m|h))+/) != nil else { return nil }
        return compact.matches(of: /(\d+)(ms|min|s|m|h)/).reduce(Duration.zero) { sum, term in
            sum + unit(term.output.2)! * Int64(term.output.1)!
        }
    }

    private static func unit(_ name: Substring) -> Duration? {
        switch name {
        case "ms": .milliseconds(1)
        case "s": .seconds(1)
        case "m", "min": .seconds(60)
        case "h": .seconds(3600)
        default: nil
        }
    }
}
