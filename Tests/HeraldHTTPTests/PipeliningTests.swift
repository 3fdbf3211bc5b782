import HeraldHTTP
import TestSupport
import Testing

/// HTTP/1.1 pipelining: requests sent back to back on one connection are answered one at a time, in order,
/// each after the response before it, whatever handler answers them.
@Suite("HTTP pipelining", .timeLimit(.minutes(1)))
struct PipeliningTests {
    static let publish = "POST /publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 24\r\n\r\n"
        + #"{"topic":"t","data":"x"}"#

    /// The status lines of the responses in `answer`, in order (a JSON body ends with a bare LF).
    static func statusLines(_ answer: String) -> [String] {
        // why: split on the byte LF; as Characters, CR LF is one grapheme and would not split on "\n".
        answer.utf8.split(separator: UInt8(ascii: "\n"))
            .map { String(decoding: $0.last == UInt8(ascii: "\r") ? $0.dropLast() : $0, as: UTF8.self) }
            .filter { $0.hasPrefix("HTTP/1.1 ") }
    }

    @Test("requests pipelined behind a slow publish are answered after it, in order")
    func behindSlowPublish() async throws {
        let broker = GatedBroker()
        try await TestNode.with(.memory, brokerOverride: { broker }, configure: { $0.cors = CORSPolicy(origins: ["https://app.example.com"]) }) { node in
            let connection = try await RawConnection.connect(port: node.port)
            try await connection.send(
                Self.publish
                    + "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "OPTIONS /publish HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example.com\r\nAccess-Control-Request-Method: POST\r\n\r\n"
                    + "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            )
            await broker.started()
            broker.release()
            let answer = try await connection.receivedUntilClosed(timeout: .seconds(5))
            let statuses = Self.statusLines(answer)
            #expect(statuses == ["HTTP/1.1 200 OK", "HTTP/1.1 404 Not Found", "HTTP/1.1 204 No Content", "HTTP/1.1 200 OK"], "\(answer)")
            let order = [#""id""#, #""not_found""#, "access-control-allow-methods", #""status":"ok""#].map { answer.range(of: $0)?.lowerBound }
            #expect(!order.contains(nil) && order.compactMap { $0 } == order.compactMap { $0 }.sorted(), "\(answer)")
        }
    }

    @Test("two hundred requests sent in one write get two hundred responses, in order")
    func manyInOneWrite() async throws {
        try await TestNode.with(.memory) { node in
            let connection = try await RawConnection.connect(port: node.port)
            let requests = (0..<199).map { "GET /events-\($0) HTTP/1.1\r\nHost: x\r\n\r\n" }.joined()
            try await connection.send(requests + "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            let answer = try await connection.receivedUntilClosed(timeout: .seconds(10))
            let statuses = Self.statusLines(answer)
            #expect(statuses.count == 200)
            #expect(statuses.dropLast().allSatisfy { $0 == "HTTP/1.1 404 Not Found" } && statuses.last == "HTTP/1.1 200 OK")
            let mentioned = (0..<199).compactMap { answer.range(of: "/events-\($0);")?.lowerBound }
            #expect(mentioned.count == 199 && mentioned == mentioned.sorted(), "each 404 names its own path, in request order")
        }
    }
}
