import NIOCore

/// Decides when a Redis connection must be probed with `PING` and when it has gone silent.
///
/// A pure value: the owner (``RedisChannelHandler``) tells it when bytes arrived and asks it, every
/// ``checkPeriod``, what to do. A connection with nothing to wait for is probed once nothing was heard
/// for ``RedisConfiguration/healthCheckInterval``; a connection waiting for a reply is silent once
/// nothing was heard for ``RedisConfiguration/healthCheckTimeout``. Silence is what a frozen server, a
/// dead NAT entry or a half-open partition looks like: TCP stays open and nothing ever arrives. Because
/// an idle connection is probed every interval, silence is found between `timeout - interval` and
/// `timeout` (plus one check period) after the last byte.
struct RedisLiveness: Sendable {
    /// What the owner does after a check.
    enum Action: Equatable, Sendable {
        /// Nothing to do.
        case none
        /// Write a `PING`: the connection is idle and was not heard from for an interval.
        case sendPing
        /// Close the connection as lost: a reply is due and nothing arrived for this long.
        case closeSilent(silentFor: TimeAmount)
    }

    let interval: TimeAmount
    let timeout: TimeAmount
    /// When a byte last arrived (or the connection was opened).
    private(set) var lastHeard: NIODeadline

    init(interval: TimeAmount, timeout: TimeAmount, now: NIODeadline) {
        self.interval = interval
        self.timeout = timeout
        self.lastHeard = now
    }

    /// How often the owner should call ``check(now:awaitingReply:)``.
    // why: a quarter of the shorter setting bounds the detection delay to a quarter interval late, while
    // costing one timer tick per connection every 250 ms at the defaults.
    var checkPeriod: TimeAmount {
        .nanoseconds(max(min(self.interval, self.timeout).nanoseconds / 4, 1_000_000))
    }

    /// Records that bytes arrived at `now`.
    mutating func heard(at now: NIODeadline) {
        self.lastHeard = now
    }

    /// What to do at `now`; `awaitingReply` says whether a command (or an earlier probe) is unanswered.
    func check(now: NIODeadline, awaitingReply: Bool) -> Action {
        let silence = now - self.lastHeard
        if awaitingReply {
            return silence >= self.timeout ? .closeSilent(silentFor: silence) : .none
        }
        return silence >= self.interval ? .sendPing : .none
    }
}
