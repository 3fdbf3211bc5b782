import NIOCore
import Testing
import HeraldClient

@Suite("HTTP client requests against a loopback server")
struct HeraldHTTPClientTests {
    @Test("a JSON POST is echoed back with status, headers and body")
    func echo() async throws {
        try await TestHTTPServer.withServer { server in
            let body = #"{"topic":"orders/42","data":{"b":1,"a":2}}"#
            let response = try await HeraldHTTPClient.request(
                port: server.port, method: .POST, path: "/echo",
                headers: [("Content-Type", "application/json")], body: ByteBuffer(string: body), timeout: .seconds(5)
            )
            #expect(response.status == 200)
            #expect(response.header("X-METHOD") == "POST")
            #expect(response.header("content-type") == "application/json")
            #expect(response.bodyText == body)
        }
    }

    @Test("a chunked response body is collected de-chunked")
    func chunkedBody() async throws {
        try await TestHTTPServer.withServer { server in
            let response = try await HeraldHTTPClient.request(port: server.port, path: "/events", timeout: .seconds(5))
            #expect(response.header("transfer-encoding") == "chunked")
            #expect(response.bodyText == TestHTTPServer.script.joined())
        }
    }

    @Test("hosts outside 127.0.0.0/8 are refused before connecting", arguments: ["10.0.0.1", "192.168.1.1", "example.com", "::1", "127.0.0", "128.0.0.1"])
    func refusesNonLoopback(host: String) async {
        await #expect {
            _ = try await HeraldHTTPClient.request(host: host, port: 9, path: "/")
        } throws: { error in
            (error as? HeraldClientError)?.code == .nonLoopbackHost
        }
    }

    @Test("localhost and any 127.x address are accepted as loopback")
    func acceptsLoopbackNames() async throws {
        try await TestHTTPServer.withServer { server in
            for host in ["localhost", "127.0.0.1"] {
                let response = try await HeraldHTTPClient.request(host: host, port: server.port, path: "/missing", timeout: .seconds(5))
                #expect(response.status == 404)
            }
        }
    }

    @Test("a server that never answers fails the request as timed out")
    func timesOut() async throws {
        try await TestHTTPServer.withServer { server in
            await #expect {
                _ = try await HeraldHTTPClient.request(port: server.port, path: "/silent", timeout: .milliseconds(200))
            } throws: { error in
                (error as? HeraldClientError)?.code == .timedOut
            }
            try await server.waitForClosedConnections(1)
        }
    }

    @Test("a port with nothing listening fails as connection failed")
    func connectionFailed() async throws {
        // why: a port freed by this test could be taken at once by a parallel test; nothing listens on port 1.
        await #expect {
            _ = try await HeraldHTTPClient.request(port: 1, path: "/", timeout: .seconds(5))
        } throws: { error in
            (error as? HeraldClientError)?.code == .connectionFailed
        }
    }
}
