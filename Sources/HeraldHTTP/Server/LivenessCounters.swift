import Synchronization

/// Counters of streams released because their peer vanished, for `GET /stats` (`liveness`).
///
/// A peer that disappears without a FIN or RST (a phone losing its network, a pulled cable) stops
/// acknowledging; with `TCP_USER_TIMEOUT` set from the heartbeat, the kernel gives up on it within about
/// two heartbeats and the stream is released. A plain type, read by the stats endpoint.
final class LivenessCounters: Sendable {
    private let deadPeers = Atomic<Int>(0)

    /// Counts one stream released because its peer stopped acknowledging; returns the new total.
    @discardableResult
    func deadPeerReleased() -> Int {
        deadPeers.add(1, ordering: .relaxed).newValue
    }

    /// Streams released because their peer stopped acknowledging, since the process started.
    var deadPeersReleased: Int { deadPeers.load(ordering: .relaxed) }

    /// `{"dead_peers_released":N}`.
    var json: String {
        "{\"dead_peers_released\":\(deadPeersReleased)}"
    }
}
