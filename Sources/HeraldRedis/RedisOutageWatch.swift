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
        state.withLock { $0.outageDuration(at: .now) }
    }

    /// Call when the subscriber connection is lost; starts the grace period of a new outage.
    func connectionLost() {
        guard let generation = state.withLock({ $0.connectionLost(at: .now) }) else { return }
        eventLoop.scheduleTask(in: grace) { [weak self] in
            self?.graceEnded(generation: generation)
        }
    }

    /// Call when every subscription is confirmed again: the outage is over.
    func restored() {
        guard let (lasted, evacuated) = state.withLock({ $0.restored(at: .now) }) else { return }
        logger.info("redis reachable again", metadata: [
            LogKeys.outage: "\(lasted)", LogKeys.evacuated: "\(evacuated)",
        ])
    }

    private func graceEnded(generation: Int) {
        guard case .evacuate(let lostFor) = state.withLock({ $0.graceEnded(generation: generation, at: .now) }) else { return }
        logger.warning("cut off from redis longer than the outage grace; closing streams so that clients resume on other nodes", metadata: [
            LogKeys.outage: "\(lostFor)", LogKeys.window: "\(window)",
        ])
        fanOut.startClosingAll(spreadOver: window)
    }
}
