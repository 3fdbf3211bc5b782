import HeraldCore
import ServiceLifecycle

/// Runs the memory backend's sweep of idle topics (`--history-max-age`) for the node's lifetime.
///
/// Added to the service group only when a maximum age is set: a service that returns early would end the
/// group. It stops on graceful shutdown.
struct MemoryExpiryService: Service {
    let broker: MemoryBroker

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await broker.expireIdleTopicsPeriodically()
        }
    }
}
