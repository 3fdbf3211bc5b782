import Synchronization
import TestSupport

/// Publishes `m0`, `m1`, … to one topic as fast as answers come, each with its data as idempotency key, keeping
/// what was acknowledged (in order) and counting refusals (503, retried after 50 ms with the same key).
final class RetryingPublisher: Sendable {
    private let node: TestNode
    private let topic: String
    private let state = Mutex((acknowledged: [String](), refusals: 0, stopped: false))

    init(node: TestNode, topic: String) {
        self.node = node
        self.topic = topic
    }

    var acknowledged: [String] { state.withLock { $0.acknowledged } }
    var refusals: Int { state.withLock { $0.refusals } }
    func stop() { state.withLock { $0.stopped = true } }

    func run() async {
        var next = 0
        while !state.withLock({ $0.stopped }) {
            let data = "m\(next)"
            // why: the data is the idempotency key, so that a retry of a publish that was stored but not
            // acknowledged (503 while a shard fails over) stores it once, as the API asks of publishers.
            let response = try? await node.post(contentType: "application/json", body: #"{"topic":"\#(topic)","data":"\#(data)","idempotencyKey":"\#(data)"}"#)
            if response?.status == 200 {
                state.withLock { $0.acknowledged.append(data) }
                next += 1
            } else {
                // why: a refused publish (503 while a shard has no master) is retried with the same data, as a
                // publisher would; it was not acknowledged, so it is not expected until it is.
                state.withLock { $0.refusals += 1 }
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    /// Waits until `count` publishes were acknowledged.
    func waitFor(count: Int, timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while acknowledged.count < count {
            guard ContinuousClock.now < deadline else { throw PublishStalled(acknowledged: acknowledged.count, wanted: count) }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    struct PublishStalled: Error { let acknowledged: Int; let wanted: Int }
}
