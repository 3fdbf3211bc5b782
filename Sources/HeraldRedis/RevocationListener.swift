import HeraldCore
import Logging
import Redis
import ServiceLifecycle
import Synchronization

/// Keeps this node subscribed to the broker's control channel, where every node's revocations arrive
/// (`RedisBroker.broadcast(_:)`): it subscribes once the subscriber connection is up (retrying every second
/// while Redis cannot be reached) and leaves the rest to the subscriber, which restores its channels after a
/// lost connection, a failover or a moved slot.
final class RevocationListener: Service, Sendable {
    private let subscriber: any RedisChannelSubscriber
    private let channel: String
    private let logger: Logger
    private let subscribed = Atomic(false)

    /// Whether the channel is subscribed: a node is not ready before (`RedisBroker.checkReady()`), so that a
    /// revocation sent once every node is ready reaches every node.
    var isSubscribed: Bool { subscribed.load(ordering: .relaxed) }

    init(subscriber: any RedisChannelSubscriber, channel: String, logger: Logger) {
        self.subscriber = subscriber
        self.channel = channel
        self.logger = logger
    }

    func run() async throws {
        var delay = Duration.milliseconds(50)
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                try await subscriber.subscribe(to: channel)
                subscribed.store(true, ordering: .relaxed)
                break
            } catch {
                logger.debug("revocation channel not subscribed yet; retrying", metadata: ["herald.error": "\(error)"])
                // why: from 50 ms (the subscriber connects within milliseconds at start) up to a second, as the
                // subscriber's own reconnects.
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(1))
            }
        }
        try? await gracefulShutdown()
        subscriber.unsubscribe(from: channel)
    }
}
