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
    func admit(address: String?, headroom: Int = 0) -> EdgeError? {
        counts.withLock { counts -> EdgeError? in
            guard counts.total < maxTotal + headroom else {
                return EdgeError(.tooManyConnections, "this node holds its maximum of \(maxTotal) connections; retry, the load balancer may pick another node", retryAfter: 1)
            }
            if maxPerAddress > 0, let address {
                let current = counts.perAddress[address, default: 0]
                guard current < maxPerAddress else {
                    return EdgeError(.tooManyConnectionsFromAddress, "\(address) already holds \(maxPerAddress) connections to this node; close some streams (one stream can carry several topics)", retryAfter: 5)
                }
                counts.perAddress[address] = current + 1
            }
            counts.total += 1
            return nil
        }
    }

    /// Forgets a connection that `admit` counted.
    func release(address: String?) {
        counts.withLock { counts in
            counts.total -= 1
            guard maxPerAddress > 0, let address, let current = counts.perAddress[address] else { return }
            counts.perAddress[address] = current > 1 ? current - 1 : nil
        }
    }
}
