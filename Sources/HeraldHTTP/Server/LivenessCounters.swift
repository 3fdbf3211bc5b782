import Synchronization

/// Counters of streams released because their peer vanished, for `GET /stats` (`liveness`), and of streams
/// cut because their client did not read, for `/metrics`.
///
/// A peer that disappears without a FIN or RST (a phone losing its network, a pulled cable) stops
/// acknowledging; with `TCP_USER_TIMEOUT` set from the heartbeat, the kernel gives up on it within about
/// two heartbeats and the stream is released. A plain type, read by the stats endpoint.
final class LivenessCounters: Sendable {
    private let deadPeers = Atomic<Int>(0)
    private let slowReaders = Atomic<Int>(0)

    /// Counts one stream cut because its client did not read; returns the new total.
    func slowReaderCut() -> Int {
        slowReaders.add(1, ordering: .relaxed).newValue
    }

    /// Streams cut because their client did not read, since the node started.
    var slowReadersCut: Int { slowReaders.load(ordering: .relaxed) }

    /// Counts one stream released because its peer stopped acknowledging; returns the new total.
    @discardableResult
    func deadPeerReleased() -> Int {
        deadPeers.add(1, ordering: .relaxed).newValue
    }

    /// Streams released because their peer stopped acknowledging, since the process started.
    var deadPeersReleased: Int { deadPeers.load(ordering: .relaxed) }

    /// `{"deadPeersReleased":N}`.
    var json: String {
        "{\"deadPeersReleased\":\(deadPeersReleased)}"
    }
}
