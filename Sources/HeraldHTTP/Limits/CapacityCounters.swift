import Synchronization

/// What the node did at its limits since it started, for `GET /stats` (key `capacity`): refusals by kind,
/// and `accept` failures for lack of descriptors or memory with the pauses they caused.
///
/// Every counter moves only on a refusal or a failed accept, never per delivered event.
final class CapacityCounters: Sendable {
    /// `GET /events` refused with a retry stream (`herald.unavailable`).
    let streamsRefused = Atomic<Int>(0)
    /// Other requests refused with `503`/`429` and `Retry-After` because of a connection limit.
    let requestsRefused = Atomic<Int>(0)
    /// `accept` calls that failed with EMFILE, ENFILE, ENOBUFS or ENOMEM.
    let acceptFailures = Atomic<Int>(0)
    /// Pauses of accepting that followed them (one per failure: a failed accept is never retried at once).
    let acceptPauses = Atomic<Int>(0)
    /// Bursts of failures: a burst ends with the next accepted connection.
    let acceptFailureBursts = Atomic<Int>(0)

    /// The `capacity` object of `/stats`, with the limits in force and the connections open now.
    func json(maxConnections: Int, openConnections: Int, descriptorLimit: Int?) -> String {
        let fields: [(String, Int?)] = [
            ("maxConnections", maxConnections),
            ("openConnections", openConnections),
            ("descriptorLimit", descriptorLimit),
            ("streamsRefused", streamsRefused.load(ordering: .relaxed)),
            ("requestsRefused", requestsRefused.load(ordering: .relaxed)),
            ("acceptFailures", acceptFailures.load(ordering: .relaxed)),
            ("acceptPauses", acceptPauses.load(ordering: .relaxed)),
            ("acceptFailureBursts", acceptFailureBursts.load(ordering: .relaxed)),
        ]
        return "{" + fields.map { "\"\($0.0)\":\($0.1.map(String.init) ?? "null")" }.joined(separator: ",") + "}"
    }
}
