import HeraldClient
import NIOCore
import TestSupport
import Testing

/// Hostile input changes nothing: each is refused clearly, the node stays up, and events already accepted
/// are delivered to everyone else.
@Suite("Hostile input", .timeLimit(.minutes(1)))
struct HostileInputTests {
    @Test("CR, LF or NUL inside a header value is refused with 400 and the node serves the next client", arguments: ["a\rb", "a\nb", "a\u{0}b"])
    func controlCharactersInHeaders(value: String) async throws {
        try await TestNode.with(.memory) { node in
            let connection = try await RawConnection.connect(port: node.port)
            try await connection.send("GET /events?topic=t HTTP/1.1\r\nHost: x\r\nLast-Event-ID: \(value)\r\n\r\n")
            let answer = try await connection.receivedUntilClosed(timeout: .seconds(5))
            #expect(answer.hasPrefix("HTTP/1.1 400"))
            #expect(!answer.contains("text/event-stream"))
            let stream = try await node.stream(["t"])
            try await node.publish("t", "fine")
            #expect(try await stream.nextEvent(timeout: .seconds(5))?.data == "fine")
        }
    }

    @Test("JSON nested 100,000 levels deep is refused with 400 without exhausting the stack")
    func deeplyNestedJSON() async throws {
        try await TestNode.with(.memory) { node in
            let deep = #"{"topic":"t","data":"# + String(repeating: "[", count: 100_000) + "}"
            expectError(try await node.post(contentType: "application/json", body: deep), status: 400, code: "malformed_json", hint: "deep")
            #expect(try await node.get("/healthz").status == 200)
        }
    }

    @Test("invalid UTF-8 in a JSON body is refused with 400")
    func invalidUTF8() async throws {
        try await TestNode.with(.memory) { node in
            var body = ByteBuffer(string: #"{"topic":"t","data":""#)
            body.writeBytes([0xFF, 0xFE, 0xC3])
            body.writeString(#""}"#)
            let response = try await HeraldHTTPClient.request(
                port: node.port, method: .POST, path: "/publish", headers: [("content-type", "application/json")], body: body
            )
            expectError(response, status: 400, code: "malformed_json", hint: "UTF-8")
        }
    }

    @Test("thousands of topics in one request are refused, by URL size or by topic count")
    func thousandsOfTopics() async throws {
        let query = (0..<2000).map { "topic=t\($0)" }.joined(separator: "&")  // about 20 KB
        try await TestNode.with(.memory) { node in
            expectError(try await node.get("/events?" + query), status: 414, code: "uri_too_long", hint: "fewer topics")
        }
        try await TestNode.with(.memory, configure: { $0.requestLimits.maxURLSize = 1 << 20; $0.requestLimits.maxHeaderSize = 1 << 20 }) { node in
            expectError(try await node.get("/events?" + query), status: 400, code: "too_many_topics", hint: "2000 topics")
        }
    }

    @Test("a client that never reads is cut once its buffer fills, others get every event, and it resumes without loss")
    func clientThatNeverReads() async throws {
        try await TestNode.with(.memory) { node in
            let first = try await node.publish("flood", "0")
            let reader = try await node.stream(["flood"], lastEventID: first)
            let stuck = try await RawConnection.connect(port: node.port, reading: false)
            try await stuck.send("GET /events?topic=flood HTTP/1.1\r\nHost: x\r\nLast-Event-ID: \(first)\r\n\r\n")
            #expect(try await streams(on: node) == 2)
            // why: 16 MiB, well past the kernel's loopback socket buffers plus the 4 MiB Herald queues for a
            // client by default (--slow-client-buffer). The reader keeps up: each batch is read before the next.
            let payload = String(repeating: "x", count: 16 << 10)
            var received: [SSEEvent] = []
            for batch in 0..<20 {
                let items = (0..<50).map { "{\"topic\":\"flood\",\"data\":\"\(batch * 50 + $0) \(payload)\"}" }
                #expect(try await node.post(contentType: "application/json", body: "[\(items.joined(separator: ","))]").status == 200)
                received += try await reader.events(50, timeout: .seconds(10))
            }
            #expect(received.count == 1000)
            #expect(received.last?.data.hasPrefix("999 ") == true)
            let deadline = ContinuousClock.now + .seconds(10)
            while try await streams(on: node) > 1, ContinuousClock.now < deadline {}
            #expect(try await streams(on: node) == 1, "the stuck client's stream was closed")
            await stuck.close()
            let resumed = try await node.stream(["flood"], lastEventID: first)
            let replayed = try await resumed.events(1000, timeout: .seconds(10))
            #expect(replayed.map { $0.data.prefix(4) } == received.map { $0.data.prefix(4) }, "the cut client resumes every event, in order")
            await reader.close()
            await resumed.close()
        }
    }

    private func streams(on node: TestNode) async throws -> Int {
        TestNode.number("streams", in: try await node.get("/healthz").bodyText) ?? -1
    }
}
