/// Metadata keys of HeraldHTTP's log messages, defined once.
enum LogKeys {
    static let address = "herald.address"
    static let error = "herald.error"
    static let refusal = "herald.refusal"
    static let acceptFailures = "herald.accept.failures"
    static let acceptPauseMilliseconds = "herald.accept.pause_ms"
    static let burstMilliseconds = "herald.accept.burst_ms"
    static let peer = "herald.peer"
    static let deadPeersReleased = "herald.dead_peers.released"
    static let bytesQueued = "herald.bytes.queued"
    static let slowReadersCut = "herald.slow_readers.cut"
    static let streamLive = "herald.stream.live"
    static let drainGrace = "herald.drain.grace"
    static let drainWindow = "herald.drain.window"
}
