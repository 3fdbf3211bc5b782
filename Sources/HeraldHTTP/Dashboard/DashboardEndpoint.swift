/// `GET /`, `GET /dashboard.js`, `GET /dashboard.css`: the dashboard, a page embedded in the binary
/// (`DashboardPage`) that shows the node's status, its busiest topics, a live tail of one topic and a publish
/// form, through the node's own HTTP API. Internal, like `/stats`: on the publish port when there is one.
///
/// The script and style are served as their own resources so that the page's content security policy can
/// forbid every inline script and style (`script-src 'self'`): event data shown by the page is untrusted,
/// and the policy is a second wall behind rendering it as text. Nothing is loaded from another origin.
/// With `--dashboard off` the three answer the JSON `404`.
enum DashboardEndpoint {
    /// The content security policy of the page: its own script, style and API only.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    static func page(_ request: EndpointRequest) async throws -> EndpointResponse {
        try answer(request, contentType: "text/html; charset=utf-8", body: DashboardPage.html)
    }

    static func script(_ request: EndpointRequest) async throws -> EndpointResponse {
        try answer(request, contentType: "text/javascript; charset=utf-8", body: DashboardPage.script)
    }

    static func style(_ request: EndpointRequest) async throws -> EndpointResponse {
        try answer(request, contentType: "text/css; charset=utf-8", body: DashboardPage.style)
    }

    private static func answer(_ request: EndpointRequest, contentType: String, body: String) throws(EdgeError) -> EndpointResponse {
        guard request.app.configuration.dashboard else {
            throw EdgeError(.notFound, "the dashboard is off on this node (--dashboard off); turn it on with --dashboard on")
        }
        // why: no-store, so that a page served by a newer binary is never mixed with an older script.
        return EndpointResponse(contentType: contentType, body: body, headers: [
            ("cache-control", "no-store"),
            ("content-security-policy", contentSecurityPolicy),
            ("x-content-type-options", "nosniff"),
            ("referrer-policy", "no-referrer"),
        ])
    }
}
