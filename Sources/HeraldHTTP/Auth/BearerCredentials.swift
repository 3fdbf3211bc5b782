import NIOHTTP1

/// Where a request's token comes from, in precedence order: `Authorization: Bearer`, the `access_token` query
/// parameter (event streams only), then the auth cookie (event streams only; what a browser's EventSource sends
/// with `withCredentials: true`).
struct BearerCredentials {
    var token: String?
    /// Names the source in error messages ("the Authorization header"); never the token itself.
    var source: String

    /// The token of `Authorization: Bearer <token>`, if the header has that form.
    static func authorizationHeader(_ headers: HTTPHeaders) -> String? {
        guard let value = headers.first(name: "authorization") else { return nil }
        let parts = value.trimmingSpaces.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingSpaces
        return token.isEmpty ? nil : String(token)
    }

    /// The subscriber's token from the header, the query parameter or the cookie, whichever comes first.
    static func subscriber(headers: HTTPHeaders, accessToken: String?, cookieName: String) -> BearerCredentials {
        if let token = authorizationHeader(headers) {
            return BearerCredentials(token: token, source: "the Authorization header")
        }
        if let accessToken, !accessToken.isEmpty {
            return BearerCredentials(token: accessToken, source: "the access_token query parameter")
        }
        if let token = cookie(cookieName, in: headers) {
            return BearerCredentials(token: token, source: "the \(cookieName) cookie")
        }
        return BearerCredentials(token: nil, source: "no credential")
    }

    /// The value of cookie `name` in the `Cookie` headers (`a=1; b=2`), unquoted.
    static func cookie(_ name: String, in headers: HTTPHeaders) -> String? {
        for header in headers["cookie"] {
            for pair in header.split(separator: ";") {
                let parts = pair.trimmingSpaces.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, parts[0] == name else { continue }
                var value = parts[1]
                if value.count >= 2, value.first == "\"", value.last == "\"" { value = value.dropFirst().dropLast() }
                return value.isEmpty ? nil : String(value)
            }
        }
        return nil
    }
}
