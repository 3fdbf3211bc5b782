import HeraldClient
import HeraldHTTP
import NIOHTTP1
import TestSupport
import Testing

/// Browsers on other origins get exactly the CORS headers the allowed-origins list grants; nothing is reflected.
@Suite("CORS", .timeLimit(.minutes(1)))
struct CORSTests {
    static let app = "https://app.example.com"

    func withNode(_ origins: [String]?, _ body: (TestNode) async throws -> Void) async throws {
        try await TestNode.with(.memory, configure: { $0.cors = origins.map { CORSPolicy(origins: $0) } }) { try await body($0) }
    }

    @Test("without --cors-origins no CORS header is sent, whatever the Origin")
    func offByDefault() async throws {
        try await withNode(nil) { node in
            let response = try await node.get("/healthz", headers: [("origin", Self.app)])
            #expect(response.header("access-control-allow-origin") == nil)
        }
    }

    @Test("a listed origin gets its own origin back with credentials, on replies and on event streams")
    func listedOrigin() async throws {
        try await withNode([Self.app]) { node in
            let reply = try await node.post(contentType: "application/json", body: #"{"topic":"t","data":"x"}"#, headers: [("origin", Self.app)])
            #expect(reply.header("access-control-allow-origin") == Self.app)
            #expect(reply.header("access-control-allow-credentials") == "true")
            #expect(reply.header("vary") == "Origin")
            let stream = try await node.stream(["t"], headers: [("origin", Self.app)])
            #expect(stream.header("access-control-allow-origin") == Self.app)
            #expect(stream.header("access-control-allow-credentials") == "true")
            await stream.close()
        }
    }

    @Test("an origin that is not listed is not reflected")
    func unlistedOrigin() async throws {
        try await withNode([Self.app]) { node in
            let response = try await node.get("/healthz", headers: [("origin", "https://evil.example")])
            #expect(response.status == 200)
            #expect(response.header("access-control-allow-origin") == nil)
            let stream = try await node.stream(["t"], headers: [("origin", "https://evil.example")])
            #expect(stream.header("access-control-allow-origin") == nil)
            await stream.close()
        }
    }

    @Test("* allows any origin, without credentials")
    func anyOrigin() async throws {
        try await withNode(["*"]) { node in
            let response = try await node.get("/healthz", headers: [("origin", "https://anyone.example")])
            #expect(response.header("access-control-allow-origin") == "*")
            #expect(response.header("access-control-allow-credentials") == nil)
        }
    }

    @Test("a preflight for publishing from a listed origin gets 204 with the methods and headers a publisher needs")
    func preflight() async throws {
        try await withNode([Self.app]) { node in
            let response = try await HeraldHTTPClient.request(port: node.port, method: .OPTIONS, path: "/publish", headers: [
                ("origin", Self.app), ("access-control-request-method", "POST"), ("access-control-request-headers", "content-type, authorization"),
            ])
            #expect(response.status == 204)
            #expect(response.header("access-control-allow-origin") == Self.app)
            #expect(response.header("access-control-allow-methods") == "POST")
            let allowed = response.header("access-control-allow-headers") ?? ""
            for header in ["content-type", "authorization", "idempotency-key", "last-event-id"] { #expect(allowed.contains(header)) }
            #expect(response.header("access-control-max-age") != nil)
        }
    }

    @Test("a preflight from an origin that is not listed is refused with 403 origin_not_allowed")
    func preflightRefused() async throws {
        try await withNode([Self.app]) { node in
            let response = try await HeraldHTTPClient.request(port: node.port, method: .OPTIONS, path: "/publish", headers: [
                ("origin", "https://evil.example"), ("access-control-request-method", "POST"),
            ])
            expectError(response, status: 403, code: "origin_not_allowed", hint: "--cors-origins")
            #expect(response.header("access-control-allow-origin") == nil)
        }
    }

    @Test("a preflight for an unknown path is a 404, and for another method a 405 with Allow, as without CORS")
    func preflightOutsideTheRoutes() async throws {
        try await withNode([Self.app]) { node in
            let unknown = try await HeraldHTTPClient.request(port: node.port, method: .OPTIONS, path: "/nowhere", headers: [
                ("origin", Self.app), ("access-control-request-method", "GET"),
            ])
            expectError(unknown, status: 404, code: "not_found", hint: "/publish")
            let wrongMethod = try await HeraldHTTPClient.request(port: node.port, method: .OPTIONS, path: "/events", headers: [
                ("origin", Self.app), ("access-control-request-method", "POST"),
            ])
            expectError(wrongMethod, status: 405, code: "method_not_allowed", hint: "POST")
            #expect(wrongMethod.header("allow") == "GET")
        }
    }
}
