import NIOCore
import ServiceLifecycle

/// A service that runs until its `stop` promise completes or the surrounding task is cancelled: how the
/// cluster client and subscriber run one node's connections for as long as the node is a master.
struct StoppableService<Wrapped: Service>: Sendable {
    let service: Wrapped
    /// Completed to stop the service.
    let stop: EventLoopPromise<Void>

    /// Runs the service until `stop` completes, the service ends, or the task is cancelled.
    func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await service.run() }
            group.addTask {
                // why: waiting on a future ignores cancellation; completing it is what ends the wait on shutdown.
                await withTaskCancellationHandler { try? await stop.futureResult.get() } onCancel: { stop.succeed() }
            }
            await group.next()
            group.cancelAll()
        }
    }
}
