import HeraldClient
import TestSupport
import Testing

/// Request ids (`X-Request-Id`, taken or made, echoed) and the access log lines of requests and streams.
@Suite("Request ids and access log", .timeLimit(.minutes(1)))
struct AccessLogTests {
    @Test("a request without X-Request-Id gets a new id, echoed in its response and in its access line")
    func generatedID() async throws {
        let log = LogRecorder()
        try await TestNode.with(.memory, logger: log.logger) { node in
            let response = try await node.get("/healthz")
            let id = try #require(response.header("x-request-id"))
            #expect(id.utf8.count == 15 && id.allSatisfy(\.isHexDigit), "\(id)")
            let line = try #require(log.records("request").first { $0.metadata["herald.request.id"] == id })
            #expect(line.metadata["herald.request.method"] == "GET")
            #expect(line.metadata["herald.request.path"] == "/healthz")
            #expect(line.metadata["herald.response.status"] == "200")
            #expect(Int(line.metadata["herald.bytes.out"] ?? "") == response.body.readableBytes)
            #expect(line.metadata["herald.duration_ms"].flatMap { Int($0) } != nil)
            let other = try #require(try await node.get("/healthz").header("x-request-id"))
            #expect(other != id, "each request gets its own id")
        }
    }

    @Test("a usable X-Request-Id is kept and echoed, on errors too; an unusable one is replaced")
    func clientID() async throws {
        let log = LogRecorder()
        try await TestNode.with(.memory, logger: log.logger) { node in
            let kept = try await node.post(contentType: "application/json", body: #"{"topic":"t"}"#, headers: [("X-Request-Id", "lb-7f3a:42")])
            #expect(kept.status == 400)
            #expect(kept.header("x-request-id") == "lb-7f3a:42")
            let line = try #require(log.records("request").first { $0.metadata["herald.request.id"] == "lb-7f3a:42" })
            #expect(line.metadata["herald.response.status"] == "400")
            #expect(line.metadata["herald.bytes.in"] == "\(#"{"topic":"t"}"#.utf8.count)")

            for unusable in ["has space", "quote\"d", String(repeating: "a", count: 129), ""] {
                let replaced = try #require(try await node.get("/healthz", headers: [("X-Request-Id", unusable)]).header("x-request-id"))
                #expect(replaced != unusable && replaced.utf8.count == 15, "\(unusable) was replaced by \(replaced)")
            }
            let longest = String(repeating: "b", count: 128)
            #expect(try await node.get("/healthz", headers: [("X-Request-Id", longest)]).header("x-request-id") == longest)
        }
    }

    @Test("a stream carries its request id and its close is logged with its events, bytes and reason")
    func streamLine() async throws {
        let log = LogRecorder()
        try await TestNode.with(.memory, logger: log.logger) { node in
            let stream = try await node.stream(["a", "b"], headers: [("X-Request-Id", "tab-1")])
            #expect(stream.header("x-request-id") == "tab-1")
            _ = try await node.publish("a", "one")
            _ = try await node.publish("b", "two")
            #expect(try await stream.nextEvent(timeout: .seconds(5))?.data == "one")
            #expect(try await stream.nextEvent(timeout: .seconds(5))?.data == "two")
            await stream.close()
            let line = try await Self.firstRecord("stream closed", in: log) { $0.metadata["herald.request.id"] == "tab-1" }
            #expect(line.metadata["herald.events"] == "2")
            #expect(line.metadata["herald.topics"] == "2")
            #expect(line.metadata["herald.close.reason"] == "client_closed")
            #expect((Int(line.metadata["herald.bytes.out"] ?? "") ?? 0) > 0)
        }
    }

    @Test("a stream closed by the node says why: a token that expires closes it as token_expired")
    func closeReason() async throws {
        let log = LogRecorder()
        let auth = try TestTokens.authorizer(publisher: false)
        try await TestNode.with(.memory, logger: log.logger, configure: { $0.auth = auth }) { node in
            let token = try await TestTokens.hs256(subscribe: ["private/x"], expiresIn: 1.5)
            let stream = try await node.stream(["private/x"], headers: [("Authorization", "Bearer \(token)"), ("X-Request-Id", "expiring")])
            #expect(stream.status == 200)
            let line = try await Self.firstRecord("stream closed", in: log) { $0.metadata["herald.request.id"] == "expiring" }
            #expect(line.metadata["herald.close.reason"] == "token_expired")
            await stream.close()
        }
    }

    @Test("access lines never carry the query string, credentials or payloads")
    func nothingSecret() async throws {
        let log = LogRecorder()
        try await TestNode.with(.memory, logger: log.logger) { node in
            let stream = try await node.stream(["t"], query: "&access_token=SECRET-QUERY-TOKEN", headers: [("Authorization", "Bearer SECRET-HEADER")])
            _ = try await node.post(contentType: "application/json", body: #"{"topic":"t","data":"PAYLOAD-TEXT"}"#, headers: [("Authorization", "Bearer SECRET-HEADER")])
            #expect(try await stream.nextEvent(timeout: .seconds(5))?.data == "PAYLOAD-TEXT")
            await stream.close()
            _ = try await Self.firstRecord("stream closed", in: log) { _ in true }
            let everything = log.all.map { "\($0.message) \($0.metadata)" }.joined(separator: "\n")
            for secret in ["SECRET-QUERY-TOKEN", "SECRET-HEADER", "PAYLOAD-TEXT", "access_token"] {
                #expect(!everything.contains(secret), "\(secret) is in the log")
            }
            #expect(log.records("request").contains { $0.metadata["herald.request.path"] == "/publish" })
        }
    }

    @Test("with the access log off, requests and streams log no line")
    func off() async throws {
        let log = LogRecorder()
        try await TestNode.with(.memory, logger: log.logger, configure: { $0.accessLog = false }) { node in
            let stream = try await node.stream(["t"])
            _ = try await node.publish("t", "x")
            #expect(try await stream.nextEvent(timeout: .seconds(5))?.data == "x")
            await stream.close()
            #expect(try await node.get("/healthz").header("x-request-id") != nil, "ids are still echoed")
            #expect(log.records("request").isEmpty)
        }
        #expect(log.records("stream closed").isEmpty)
    }

    /// The first record of `message` that matches, waiting for it (the node logs a stream's close once it saw it).
    private static func firstRecord(_ message: String, in log: LogRecorder, where matches: (LogRecorder.Record) -> Bool) async throws -> LogRecorder.Record {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if let record = log.records(message).first(where: matches) { return record }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw LogTimeout(message: message)
    }

    private struct LogTimeout: Error { let message: String }
}
