import HeraldClient
import HeraldCore
import NIOCore
import Synchronization
import TestSupport
import Testing

/// `/readyz` always answers, within its bound, and says why a node is not ready; `/stats` reports liveness.
@Suite("Readiness and liveness counters", .timeLimit(.minutes(1)))
struct ReadinessTests {
    @Test("/readyz answers 503 with the reason when the readiness check does not finish within its bound")
    func hangingCheckIsBounded() async throws {
        let broker = HangingBroker()
        try await TestNode.with(.memory, brokerOverride: { broker }, configure: { $0.readinessTimeout = .milliseconds(200) }) { node in
            let response = try await node.get("/readyz")
            expectError(response, status: 503, code: "backend_unavailable", hint: "within 200 ms")
            #expect(response.header("retry-after") != nil)
            #expect(try await node.get("/healthz").status == 200, "liveness does not depend on the backend")
            // why: the hung check ends while the node's event loops still run.
            broker.release()
        }
    }

    @Test("/readyz answers 200 from a broker that is ready")
    func readyBroker() async throws {
        try await TestNode.with(.memory) { node in
            let response = try await node.get("/readyz")
            #expect(response.status == 200)
            #expect(response.bodyText.contains("\"backend\":\"memory\""))
        }
    }

    @Test("/stats reports the dead peers released, starting at zero")
    func statsStartAtZero() async throws {
        try await TestNode.with(.memory) { node in
            let response = try await node.get("/stats")
            #expect(response.status == 200)
            #expect(response.bodyText.contains("\"liveness\":{\"dead_peers_released\":0}"), "\(response.bodyText)")
        }
    }
}

/// A memory broker whose readiness check hangs until ``release()``, as one waiting on a silent link would.
final class HangingBroker: Broker, Sendable {
    let name = "hanging"
    private let gate = Mutex<[CheckedContinuation<Void, Never>]>([])
    private let released = Atomic(false)

    func release() {
        released.store(true, ordering: .relaxed)
        for waiter in gate.withLock({ waiters in defer { waiters = [] }; return waiters }) { waiter.resume() }
    }

    func checkReady() async throws {
        await withCheckedContinuation { continuation in
            let waiting = gate.withLock { waiters in
                guard !released.load(ordering: .relaxed) else { return false }
                waiters.append(continuation)
                return true
            }
            if !waiting { continuation.resume() }
        }
    }

    func publish(_ events: [NewEvent]) async throws -> [TopicPosition] { throw HeraldError(.backendUnavailable, "not used") }
    func history(of topic: Topic, after: StreamID?, limit: Int) async throws -> TopicHistory { throw HeraldError(.backendUnavailable, "not used") }
    func subscribe(to topics: [Topic]) async throws -> BrokerSubscription { throw HeraldError(.backendUnavailable, "not used") }
}
