import NIOCore
import NIOHTTP1

/// One row of the route table (`RouteTable`): a method and path, the listeners that serve it, and what answers.
struct Route: Sendable {
    /// Which listeners serve a route.
    enum Scope: Sendable {
        /// Every listener.
        case everywhere
        /// The internal side: the separate publish listener when `--publish-port` is set, else the only one.
        /// why: publishing and the node's internals (stats, metrics, topics, dashboard) can then stay on an
        /// internal network.
        case internalOnly
    }

    /// What answers a request of the route.
    enum Handler: Sendable {
        /// `POST /publish`: parsed, stored and answered by the router (on the event loop when no auth task is needed).
        case publish
        /// `GET /events`: the connection becomes an event stream.
        case events
        /// A complete response computed by backend calls, in a task tied to the request.
        case answer(@Sendable (EndpointRequest) async throws -> EndpointResponse)
        /// A complete response computed on the connection's event loop (for answers with their own deadline).
        case answerOnLoop(@Sendable (EndpointRequest) -> EventLoopFuture<EndpointResponse>)
    }

    let method: HTTPMethod
    /// The path; with `takesParameter`, the prefix of a path whose rest is the parameter (`/topics/` + topic).
    let path: String
    let takesParameter: Bool
    let scope: Scope
    let handler: Handler
    /// The `endpoint` label of its requests in the metrics: the path's first segment (`publish`, `topics`),
    /// `dashboard` for the page and its script and style. why: worked out once, not per request.
    let metricsLabel: String

    init(method: HTTPMethod, path: String, takesParameter: Bool, scope: Scope, handler: Handler) {
        self.method = method
        self.path = path
        self.takesParameter = takesParameter
        self.scope = scope
        self.handler = handler
        self.metricsLabel = path == "/" || path.hasPrefix("/dashboard.") ? "dashboard" : String(path.split(separator: "/").first ?? "other")
    }

    /// How the route reads in messages: `GET /topics/{topic}`.
    var summary: String {
        "\(method.rawValue) \(path)\(takesParameter ? "{topic}" : "")"
    }

    /// The parameter of `path` for this route (as sent, still percent-encoded; may be empty), or nil when it is
    /// not this route's path.
    func parameter(of path: Substring) -> String?? {
        guard takesParameter else { return path == self.path ? .some(nil) : nil }
        guard path.hasPrefix(self.path) else { return nil }
        return .some(String(path.dropFirst(self.path.count)))
    }
}

/// What a `Route.Handler.answer` gets: the request and the node.
struct EndpointRequest: Sendable {
    let head: HTTPRequestHead
    let body: ByteBuffer
    /// The rest of the path after a parameterised route's prefix, as sent (still percent-encoded).
    let parameter: String?
    let eventLoop: any EventLoop
    let app: EdgeApplication
}

/// A complete response: status, content type and body.
struct EndpointResponse: Sendable {
    var status: HTTPResponseStatus = .ok
    var contentType: String
    var body: String
    var headers: [(String, String)] = []

    /// A JSON body (a newline is appended when written).
    static func json(_ json: String, status: HTTPResponseStatus = .ok) -> EndpointResponse {
        EndpointResponse(status: status, contentType: "application/json", body: json)
    }
}
