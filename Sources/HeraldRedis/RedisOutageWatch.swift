import HeraldCore
import Logging
import NIOCore
import Synchronization

/// Knows since when this node has been cut off from Redis, and moves its clients to other nodes when the
/// outage outlasts a grace period.
///
/// The subscriber connection is what a node's streams live on: when it is lost (closed, or closed by the
/// health check because the link went silent) the fan-out holds live events and the node reports not
/// ready. A short outage is healed in place. One that lasts longer than `grace` is probably this node's
/// alone (a partition, a dead NAT entry) while other nodes still reach Redis, which the node cannot tell
/// apart from Redis being down for everyone; so it closes its streams, spread over `window`, and the
/// clients reconnect through the load balancer — which has taken this node out of rotation by then — and
/// resume exactly from their cursors on a healthy node. If Redis is down for everyone, they come back to
/// nodes that answer them as they would any new client in an outage.
final class RedisOutageWatch: Sendable {
    private struct State {
        /// When the current outage began, or nil while connected.
        var lostAt: ContinuousClock.Instant?
        /// Counts outages, so that a timer of an outage that ended does nothing.
        var generation = 0
        var evacuated = false
    }

    private let grace: TimeAmount
    private let window: TimeAmount
    private let fanOut: FanOut
    private let eventLoop: any EventLoop
    private let logger: Logger
    private let state = Mutex(State())

    init(grace: TimeAmount, window: TimeAmount, fanOut: FanOut, eventLoop: any EventLoop, logger: Logger) {
        self.grace = grace
        self.window = window
        self.fanOut = fanOut
        self.eventLoop = eventLoop
        self.logger = logger
    }

    /// How long the current outage has lasted, or nil while this node reaches Redis.
    var outageDuration: Duration? {
        state.withLock { $0.lostAt }.map { ContinuousClock.now - $0 }
    }

    /// Call when the subscriber connection is lost; starts the grace period of a new outage.
    func connectionLost() {
        let generation: Int? = state.withLock { state in
            guard state.lostAt == nil else { return nil }
            state.lostAt = .now
            state.generation += 1
            state.evacuated = false
            return state.generation
        }
        guard let generation else { return }
        eventLoop.scheduleTask(in: grace) { [weak self] in
            self?.graceEnded(generation: generation)
        }
    }

    /// Call when every subscription is confirmed again: the outage is over.
    func restored() {
        let ended = state.withLock { state -> (Duration, Bool)? in
            guard let lostAt = state.lostAt else { return nil }
            state.lostAt = nil
            return (ContinuousClock.now - lostAt, state.evacuated)
        }
        guard let (duration, evacuated) = ended else { return }
        logger.info("redis reachable again", metadata: [
            LogKeys.outage: "\(duration)", LogKeys.evacuated: "\(evacuated)",
        ])
    }

    private func graceEnded(generation: Int) {
        let lostFor: Duration? = state.withLock { state in
            guard state.generation == generation, let lostAt = state.lostAt else { return nil }
            state.evacuated = true
            return ContinuousClock.now - lostAt
        }
        guard let lostFor else { return }
        logger.warning("cut off from redis longer than the outage grace; closing streams so that clients resume on other nodes", metadata: [
            LogKeys.outage: "\(lostFor)", LogKeys.window: "\(window)",
        ])
        fanOut.startClosingAll(spreadOver: window)
    }
}
