import HeraldClient
import TestSupport
import Testing

/// `GET /` serves the dashboard (HTML, script and style embedded in the binary) on the internal side, with a
/// strict content security policy, never cached, and nothing from another origin.
@Suite("Dashboard page", .timeLimit(.minutes(1)))
struct DashboardTests {
    static let resources = [("/", "text/html; charset=utf-8"), ("/dashboard.js", "text/javascript; charset=utf-8"), ("/dashboard.css", "text/css; charset=utf-8")]

    @Test("/ serves the page, its script and its style with a strict content security policy and no-store")
    func servesPage() async throws {
        try await TestNode.with(.memory) { node in
            for (path, contentType) in Self.resources {
                let response = try await node.get(path)
                #expect(response.status == 200, "\(path)")
                #expect(response.header("content-type") == contentType, "\(path)")
                #expect(response.header("cache-control") == "no-store", "\(path)")
                let policy = response.header("content-security-policy") ?? ""
                #expect(policy.contains("default-src 'none'"), "\(path): \(policy)")
                #expect(policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"), "\(path): \(policy)")
                #expect(response.header("x-content-type-options") == "nosniff")
            }
            let page = try await node.get("/?topic=orders%2F42").bodyText
            #expect(page.hasPrefix("<!doctype html>"))
            #expect(page.contains("<script src=\"/dashboard.js\" defer></script>"))
            #expect(!page.contains("<script>") && !page.contains("<style") && !page.contains(" style="), "no inline script or style: the policy forbids them")
        }
    }

    @Test("the page, script and style load nothing from another origin")
    func noOtherOrigin() async throws {
        try await TestNode.with(.memory) { node in
            for (path, _) in Self.resources {
                let body = try await node.get(path).bodyText
                #expect(!body.contains("http://") && !body.contains("https://") && !body.contains("//cdn"), "\(path) names another origin")
                #expect(!body.contains("localStorage") && !body.contains("document.cookie"), "\(path): the token stays in the tab")
                #expect(!body.contains("innerHTML") && !body.contains("insertAdjacentHTML"), "\(path): server data is shown as text only")
            }
        }
    }

    @Test("with the dashboard off, / and its resources answer the JSON 404")
    func off() async throws {
        try await TestNode.with(.memory, configure: { $0.dashboard = false }) { node in
            for (path, _) in Self.resources {
                expectError(try await node.get(path), status: 404, code: "not_found", hint: "--dashboard")
            }
            #expect(try await node.get("/healthz").status == 200)
        }
    }

    @Test("with a publish port, the dashboard is served there and not on the main port")
    func internalOnly() async throws {
        try await TestNode.with(.memory, configure: { $0.publishPort = 0 }) { node in
            let publishPort = try #require(node.publishPort)
            for (path, _) in Self.resources {
                expectError(try await node.get(path), status: 404, code: "not_found", hint: "--publish-port")
                let onPublishPort = try await HeraldHTTPClient.request(port: publishPort, method: .GET, path: path)
                #expect(onPublishPort.status == 200, "\(path)")
            }
        }
    }

    @Test("a hostile query on / is never reflected: the page is the same bytes whatever the query")
    func queryNotReflected() async throws {
        try await TestNode.with(.memory) { node in
            let plain = try await node.get("/").bodyText
            for query in ["?topic=%3Cscript%3Ealert(1)%3C%2Fscript%3E", "?topic=%ZZ&topic=", "?" + String(repeating: "a", count: 4000)] {
                let response = try await node.get("/" + query)
                #expect(response.status == 200, "\(query.prefix(40))")
                #expect(response.bodyText == plain, "\(query.prefix(40))")
            }
        }
    }

    @Test("/ accepts GET only")
    func getOnly() async throws {
        try await TestNode.with(.memory) { node in
            let response = try await node.post("/", contentType: "text/plain", body: "x")
            expectError(response, status: 405, code: "method_not_allowed", hint: "GET")
        }
    }
}
