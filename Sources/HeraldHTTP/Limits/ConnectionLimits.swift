import Synchronization

/// Counts open connections, in total and per client address, and says whether a new one may stay.
///
/// Guarantees: a connection admitted is counted until `release` (call it once, when it closes); a refused
/// one is not counted. Checks and counting are one atomic step, so concurrent accepts cannot overshoot.
final class ConnectionLimits: Sendable {
    private let maxTotal: Int
    private let maxPerAddress: Int
    private let counts = Mutex<(total: Int, perAddress: [String: Int])>((0, [:]))

    init(maxTotal: Int, maxPerAddress: Int) {
        self.maxTotal = maxTotal
        self.maxPerAddress = maxPerAddress
    }

    /// Connections open now.
    var openCount: Int { counts.withLock { $0.total } }

    /// Counts a new connection from `address`, or returns why it must be refused. `headroom` lets this
    /// connection go that far past the total limit (the publish listener's share of the descriptor reserve).
    /// A nil `address` counts against the total only: a connection from a trusted proxy, whose clients are
    /// counted one by one as their streams open (`admitStream(from:)`).
    func admit(address: String?, headroom: Int = 0) -> EdgeError? {
        counts.withLock { counts -> EdgeError? in
            guard counts.total < maxTotal + headroom else {
                return EdgeError(.tooManyConnections, "this node holds its maximum of \(maxTotal) connections; retry, the load balancer may pick another node", retryAfter: 1)
            }
            if let address, let refusal = Self.count(address, in: &counts.perAddress, limit: maxPerAddress) { return refusal }
            counts.total += 1
            return nil
        }
    }

    /// Counts a stream of a client behind a trusted proxy against the per-address limit (the total counted
    /// its connection already), or returns why it must be refused. Release it with `releaseStream(from:)`.
    func admitStream(from address: String) -> EdgeError? {
        counts.withLock { Self.count(address, in: &$0.perAddress, limit: maxPerAddress) }
    }

    /// Forgets a connection that `admit` counted.
    func release(address: String?) {
        counts.withLock { counts in
            counts.total -= 1
            if let address { Self.uncount(address, in: &counts.perAddress) }
        }
    }

    /// Forgets a stream that `admitStream(from:)` counted.
    func releaseStream(from address: String) {
        counts.withLock { Self.uncount(address, in: &$0.perAddress) }
    }

    private static func count(_ address: String, in perAddress: inout [String: Int], limit: Int) -> EdgeError? {
        guard limit > 0 else { return nil }
        let current = perAddress[address, default: 0]
        guard current < limit else {
            return EdgeError(.tooManyConnectionsFromAddress, "\(address) already holds \(limit) connections to this node; close some streams (one stream can carry several topics)", retryAfter: 5)
        }
        perAddress[address] = current + 1
        return nil
    }

    private static func uncount(_ address: String, in perAddress: inout [String: Int]) {
        guard let current = perAddress[address] else { return }
        perAddress[address] = current > 1 ? current - 1 : nil
    }
}
