/// Metadata keys of HeraldHTTP's log messages, defined once.
enum LogKeys {
    static let address = "herald.address"
    static let error = "herald.error"
    static let refusal = "herald.refusal"
    static let acceptFailures = "herald.accept.failures"
    static let acceptPauseMilliseconds = "herald.accept.pause_ms"
    static let burstMilliseconds = "herald.accept.burst_ms"
}
