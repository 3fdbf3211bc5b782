import HeraldCore
import NIOCore

/// `GET /readyz`: 200 while the node serves and its backend is ready (`"status":"degraded"` with the parts it
/// cannot serve, such as a Redis Cluster shard failing over); 503 while it drains, when the backend is not
/// serving, or when the check has not finished within `readinessTimeout`.
enum ReadinessEndpoint {
    static func answer(_ request: EndpointRequest) -> EventLoopFuture<EndpointResponse> {
        let app = request.app
        let ready = request.eventLoop.makePromise(of: EndpointResponse.self)
        ready.completeWithTask {
            guard app.currentPhase == .serving else {
                throw EdgeError(.draining, "this node is shutting down and takes no new clients; its streams move to other nodes")
            }
            try await app.broker.checkReady()
            let backend = JSONText.quoted(app.broker.name)
            let degradation = await app.broker.degradation()
            guard degradation.isEmpty else {
                return .json("{\"status\":\"degraded\",\"backend\":\(backend),\"degraded\":[\(degradation.map(JSONText.quoted).joined(separator: ","))]}")
            }
            return .json("{\"status\":\"ready\",\"backend\":\(backend)}")
        }
        // why: a load balancer's check must always get an answer; a check that has not finished in time
        // means the backend is not serving, whatever it would say later.
        let timeout = app.configuration.readinessTimeout
        let deadline = request.eventLoop.scheduleTask(in: timeout) {
            ready.fail(HeraldError(.backendUnavailable, "the readiness check did not finish within \(timeout.nanoseconds / 1_000_000) ms"))
        }
        ready.futureResult.whenComplete { _ in deadline.cancel() }
        return ready.futureResult
    }
}
