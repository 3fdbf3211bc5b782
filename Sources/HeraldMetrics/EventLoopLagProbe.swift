import NIOCore
import ServiceLifecycle

/// Measures how late each event loop runs a scheduled task, into `herald_event_loop_lag_seconds`.
///
/// A task is scheduled on every loop every `interval`; the time between its deadline and the moment it
/// runs is what any callback on that loop (a delivery, an accept, a heartbeat) waits extra at that moment.
/// Runs until graceful shutdown or cancellation.
public struct EventLoopLagProbe: Service {
    let loops: [any EventLoop]
    let metrics: HeraldMetrics
    let interval: TimeAmount

    /// why: 250 ms sees a loop blocked for a fraction of a second at a cost of four tiny tasks a second per
    /// loop; sampling more often would add work to the loops it measures.
    public init(eventLoopGroup: any EventLoopGroup, metrics: HeraldMetrics, interval: TimeAmount = .milliseconds(250)) {
        self.loops = Array(eventLoopGroup.makeIterator())
        self.metrics = metrics
        self.interval = interval
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for loop in loops {
                    group.addTask { await probe(loop) }
                }
            }
        }
    }

    private func probe(_ loop: any EventLoop) async {
        let histogram = metrics.eventLoopLag
        let interval = interval
        while !Task.isCancelled {
            let deadline = NIODeadline.now() + interval
            let scheduled = loop.scheduleTask(deadline: deadline) {
                histogram.recordNanoseconds(max(0, (NIODeadline.now() - deadline).nanoseconds))
            }
            await withTaskCancellationHandler {
                try? await scheduled.futureResult.get()
            } onCancel: {
                scheduled.cancel()
            }
        }
    }
}
