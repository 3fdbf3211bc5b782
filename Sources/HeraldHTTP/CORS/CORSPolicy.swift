import NIOHTTP1

/// Which web origins may call Herald from a browser, and the CORS headers that says so.
///
/// Origins are compared exactly (`https://app.example.com`); nothing is reflected unless listed. `*`
/// allows every origin but without credentials (browsers refuse `*` with cookies). Listed origins get
/// `Access-Control-Allow-Credentials: true`, so `EventSource(url, {withCredentials: true})` and `fetch`
/// with `credentials: "include"` can send cookies.
public struct CORSPolicy: Sendable, Equatable {
    public let allowedOrigins: Set<String>
    public let allowsAnyOrigin: Bool
    /// Request headers a preflight may ask for.
    static let allowedHeaders = "content-type, authorization, idempotency-key, last-event-id, cache-control"
    /// why: browsers cache a preflight this long (seconds), saving a round trip per publish.
    static let preflightMaxAge = "600"

    /// `origins` are exact origins, or `*` for any origin without credentials.
    public init(origins: [String]) {
        allowsAnyOrigin = origins.contains("*")
        allowedOrigins = Set(origins.filter { $0 != "*" })
    }

    /// The headers for a response to a request from `origin` (none when it is absent or not allowed).
    func responseHeaders(origin: String?) -> [(String, String)] {
        guard let origin else { return [] }
        if allowedOrigins.contains(origin) {
            return [("access-control-allow-origin", origin), ("access-control-allow-credentials", "true"), ("vary", "Origin")]
        }
        return allowsAnyOrigin ? [("access-control-allow-origin", "*")] : [("vary", "Origin")]
    }

    /// The answer to a preflight (`OPTIONS` with `Access-Control-Request-Method`) for `method` on `path`:
    /// the headers of a `204`, or the error to refuse it with.
    func preflight(origin: String, method: String, path: String) -> Result<[(String, String)], EdgeError> {
        guard allowsAnyOrigin || allowedOrigins.contains(origin) else {
            return .failure(EdgeError(.originNotAllowed, "origin \(origin) is not allowed; add it to --cors-origins / HERALD_CORS_ORIGINS"))
        }
        let allowed: String? = switch path {
        case "/publish": "POST"
        case "/events", "/healthz", "/readyz": "GET"
        default: nil
        }
        guard let allowed else {
            return .failure(EdgeError(.notFound, "no route for \(path); Herald serves POST /publish, GET /events, GET /healthz and GET /readyz"))
        }
        guard allowed == method.uppercased() else {
            return .failure(EdgeError(.methodNotAllowed, "\(path) does not accept \(method) from a browser", allowedMethods: [allowed]))
        }
        return .success(responseHeaders(origin: origin) + [
            ("access-control-allow-methods", allowed),
            ("access-control-allow-headers", Self.allowedHeaders),
            ("access-control-max-age", Self.preflightMaxAge),
        ])
    }
}
