/// `GET /healthz`: the process is up and its event loops answer; with the number of open streams.
/// Says nothing of the backend (that is `/readyz`): a liveness check must not restart a node because Redis is away.
enum HealthEndpoint {
    static func answer(_ request: EndpointRequest) async throws -> EndpointResponse {
        .json("{\"status\":\"ok\",\"streams\":\(await request.app.fanOut.sessionCount())}")
    }
}
