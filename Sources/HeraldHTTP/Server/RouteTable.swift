import NIOHTTP1

/// Every route of the edge, in one table. A listener serves the routes of its scope: the combined listener
/// all of them, the main listener beside a separate publish listener the `.everywhere` ones, the publish
/// listener all of them too (it is the internal side).
enum RouteTable {
    static let routes: [Route] = [
        Route(method: .POST, path: "/publish", takesParameter: false, scope: .internalOnly, handler: .publish),
        Route(method: .POST, path: "/disconnect", takesParameter: false, scope: .internalOnly, handler: .answer(DisconnectEndpoint.answer)),
        Route(method: .GET, path: "/events", takesParameter: false, scope: .everywhere, handler: .events),
        Route(method: .GET, path: "/healthz", takesParameter: false, scope: .everywhere, handler: .answer(HealthEndpoint.answer)),
        Route(method: .GET, path: "/readyz", takesParameter: false, scope: .everywhere, handler: .answerOnLoop(ReadinessEndpoint.answer)),
        Route(method: .GET, path: "/stats", takesParameter: false, scope: .internalOnly, handler: .answer(StatsEndpoint.answer)),
        Route(method: .GET, path: "/topics/", takesParameter: true, scope: .internalOnly, handler: .answer(TopicEndpoint.answer)),
        Route(method: .GET, path: "/metrics", takesParameter: false, scope: .internalOnly, handler: .answer(MetricsEndpoint.answer)),
        Route(method: .GET, path: "/", takesParameter: false, scope: .internalOnly, handler: .answer(DashboardEndpoint.page)),
        Route(method: .GET, path: "/dashboard.js", takesParameter: false, scope: .internalOnly, handler: .answer(DashboardEndpoint.script)),
        Route(method: .GET, path: "/dashboard.css", takesParameter: false, scope: .internalOnly, handler: .answer(DashboardEndpoint.style)),
    ]

    /// The route for `head` on `listener`, with its parameter; throws the 404 or 405 to answer otherwise.
    static func match(_ head: HTTPRequestHead, listener: RequestRouter.Listener) throws(EdgeError) -> (Route, parameter: String?) {
        // why: the path is cut at the query without the array a split makes; an empty or query-first URI as before.
        let cut = head.uri.utf8.firstIndex(of: UInt8(ascii: "?")) ?? head.uri.endIndex
        let path = cut > head.uri.startIndex ? head.uri[..<cut] : head.uri.split(separator: "?", maxSplits: 1).first ?? "/"
        var allowedMethods: [HTTPMethod] = []
        for route in routes {
            guard let parameter = route.parameter(of: path) else { continue }
            guard route.method == head.method else {
                allowedMethods.append(route.method)
                continue
            }
            guard listener.serves(route.scope) else {
                throw EdgeError(.notFound, misplaced(route))
            }
            return (route, parameter)
        }
        guard allowedMethods.isEmpty else {
            let methods = allowedMethods.map(\.rawValue)
            throw EdgeError(.methodNotAllowed, "\(path) accepts \(methods.joined(separator: " or ")) only", allowedMethods: methods)
        }
        let served = routes.filter { listener.serves($0.scope) }.map(\.summary)
        throw EdgeError(.notFound, "no route for \(path); this address serves \(served.dropLast().joined(separator: ", ")) and \(served.last ?? "")")
    }

    private static func misplaced(_ route: Route) -> String {
        if case .publish = route.handler {
            return "publishing is not served on this address; POST /publish to the internal publish address (--publish-port)"
        }
        return "\(route.path) is served on the internal publish address (--publish-port)"
    }
}

extension RequestRouter.Listener {
    /// Whether this listener serves routes of `scope`.
    func serves(_ scope: Route.Scope) -> Bool {
        switch (self, scope) {
        case (.streams, .internalOnly): false
        default: true
        }
    }
}
