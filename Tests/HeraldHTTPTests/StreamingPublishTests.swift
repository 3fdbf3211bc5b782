import HeraldClient
import HeraldCore
import NIOCore
import TestSupport
import Testing

/// `POST /publish` with an NDJSON body that stays open: each line is stored and delivered as it arrives,
/// the answer at the end gives the ids, and a bad line ends the request saying what was stored.
@Suite("Streaming publish", .timeLimit(.minutes(1)))
struct StreamingPublishTests {
    /// The data of every event stored on `topic`, oldest first.
    static func stored(_ node: TestNode, _ topic: String) async throws -> [String] {
        try await node.broker.history(of: try Topic(topic), after: .zero, limit: 10_000).events.map { String(buffer: $0.data) }
    }

    @Test("each line reaches the subscriber before the next is written; the answer lists the ids the subscriber saw")
    func linesAreDeliveredAsTheyArrive() async throws {
        try await TestNode.with(.memory) { node in
            let stream = try await node.stream(["answers/1"])
            let request = try await StreamingPublishRequest.open(port: node.port, topic: "answers/1")
            var seen: [SSEEvent] = []
            for token in ["Hel", "lo", ", wor", "ld"] {
                try await request.line(#"{"data":"\#(token)"}"#)
                // why: the next token is written only once this one arrived, so nothing can wait for the body's end.
                seen.append(try #require(try await stream.nextEvent(timeout: .seconds(5))))
            }
            try await request.line(#"{"data":"[DONE]","event":"done"}"#)
            try await request.end()
            let response = try await request.response()
            #expect(response.status == 200, "\(response.body)")
            seen.append(try #require(try await stream.nextEvent(timeout: .seconds(5))))
            #expect(seen.map(\.data) == ["Hel", "lo", ", wor", "ld", "[DONE]"])
            #expect(seen.last?.type == "done")
            #expect(TestNode.number("count", in: response.body) == 5)
            #expect(TestNode.field("lastId", in: response.body) == seen.last?.id)
            #expect(response.body.contains("\"ids\":[" + seen.map { "\"\($0.id ?? "")\"" }.joined(separator: ",") + "]"))
        }
    }

    @Test("lines of several topics in one stream, a line's topic winning over ?topic=, and lines split over chunks")
    func topicsAndChunks() async throws {
        try await TestNode.with(.memory) { node in
            let request = try await StreamingPublishRequest.open(port: node.port, topic: "a")
            try await request.chunk(#"{"data":"1"}"# + "\n" + #"{"topic":"b","data":"2"}"# + "\n" + #"{"da"#)
            try await request.chunk(#"ta":"3"}"# + "\r\n\n")
            try await request.end()
            #expect(try await request.response().status == 200)
            #expect(try await Self.stored(node, "a") == ["1", "3"])
            #expect(try await Self.stored(node, "b") == ["2"])
        }
    }

    @Test("a bad line ends the request: the lines before it stay stored, nothing after it is, the error names it", arguments: [
        (#"{"data":""}"#, "invalid_data", "data is empty"),
        (#"not json"#, "malformed_json", "not valid JSON"),
        (#"["an","array"]"#, "invalid_body", "JSON object"),
        (#"{"data":"x","topci":"y"}"#, "unknown_field", "did you mean"),
        (#"{"topic":"","data":"x"}"#, "invalid_topic", "topic"),
    ])
    func badLine(line: String, code: String, hint: String) async throws {
        try await TestNode.with(.memory) { node in
            let request = try await StreamingPublishRequest.open(port: node.port, topic: "t")
            try await request.line(#"{"data":"first"}"#)
            // The bad line arrives with a good line before it and one after it in the same chunk.
            try await request.chunk(#"{"data":"second"}"# + "\n" + line + "\n" + #"{"data":"after"}"# + "\n")
            let response = try await request.response()
            #expect(response.status == 400)
            #expect(TestNode.field("code", in: response.body) == code, "\(response.body)")
            let message = TestNode.field("message", in: response.body) ?? ""
            #expect(message.hasPrefix("line 3: "), "\(message)")
            #expect(message.contains(hint), "\(message)")
            #expect(message.contains("lines 1–2 were stored"), "\(message)")
            #expect(TestNode.number("line", in: response.body) == 3)
            #expect(TestNode.number("stored", in: response.body) == 2)
            _ = try? await request.line(#"{"data":"later"}"#)
            _ = try await request.connection.receivedUntilClosed(timeout: .seconds(5))
            #expect(try await Self.stored(node, "t") == ["first", "second"])
        }
    }

    @Test("a body that ends in the middle of a line keeps the complete lines and refuses the rest")
    func unterminatedLine() async throws {
        try await TestNode.with(.memory) { node in
            let request = try await StreamingPublishRequest.open(port: node.port, topic: "t")
            try await request.chunk(#"{"data":"whole"}"# + "\n" + #"{"data":"half"#)
            try await request.end()
            let response = try await request.response()
            #expect(response.status == 400)
            #expect(TestNode.field("code", in: response.body) == "unterminated_line")
            #expect(TestNode.number("stored", in: response.body) == 1)
            #expect(try await Self.stored(node, "t") == ["whole"])
        }
    }

    @Test("--request-timeout bounds the time between lines, not the whole stream; a silent stream gets 408 saying what was stored")
    func timeBetweenLines() async throws {
        // why: 2 s, not less: the clock also runs from the connection's opening to the request head, which a
        // loaded machine may delay by a second.
        try await TestNode.with(.memory, configure: { $0.requestLimits.requestTimeout = .seconds(2) }) { node in
            let steady = try await StreamingPublishRequest.open(port: node.port, topic: "steady")
            for index in 0..<10 {  // about 4 s in all, twice the timeout
                try await steady.line(#"{"data":"\#(index)"}"#)
                try await Task.sleep(for: .milliseconds(400))
            }
            try await steady.end()
            #expect(try await steady.response().status == 200)

            let silent = try await StreamingPublishRequest.open(port: node.port, topic: "silent")
            try await silent.line(#"{"data":"only"}"#)
            let response = try await silent.response()
            #expect(response.status == 408)
            #expect(TestNode.field("code", in: response.body) == "request_timeout")
            #expect(TestNode.number("stored", in: response.body) == 1)
            #expect(try await Self.stored(node, "steady").count == 10)
        }
    }

    @Test("a client that opens a stream and never writes gets 408, nothing stored")
    func neverWrites() async throws {
        try await TestNode.with(.memory, configure: { $0.requestLimits.requestTimeout = .seconds(2) }) { node in
            let request = try await StreamingPublishRequest.open(port: node.port, topic: "t")
            let response = try await request.response()
            #expect(response.status == 408)
            #expect((TestNode.field("message", in: response.body) ?? "").contains("nothing of the stream was stored"))
        }
    }

    @Test("limits: a line over the size limit, more lines than allowed, the publish rate per address")
    func limits() async throws {
        try await TestNode.with(.memory, configure: { $0.maxEventSize = 100; $0.maxStreamLines = 3 }) { node in
            let long = try await StreamingPublishRequest.open(port: node.port, topic: "long")
            try await long.line(#"{"data":"ok"}"#)
            try await long.chunk(String(repeating: "x", count: 2 * 100 + 1024 + 2))  // no newline: refused before it comes
            let tooLong = try await long.response()
            #expect(tooLong.status == 400)
            #expect(TestNode.field("code", in: tooLong.body) == "line_too_long")
            #expect(TestNode.number("line", in: tooLong.body) == 2)

            let many = try await StreamingPublishRequest.open(port: node.port, topic: "many")
            for index in 0..<5 { try? await many.line(#"{"data":"\#(index)"}"#) }  // the server closes after the 4th
            let tooMany = try await many.response()
            #expect(tooMany.status == 413)
            #expect(TestNode.field("code", in: tooMany.body) == "stream_too_long")
            #expect(try await Self.stored(node, "many") == ["0", "1", "2"])
        }
        try await TestNode.with(.memory, configure: { $0.publishRatePerAddress = 5 }) { node in
            let request = try await StreamingPublishRequest.open(port: node.port, topic: "fast")
            for index in 0..<50 {
                // why: the server answers 429 and closes as soon as the bucket is empty; later writes may fail.
                guard (try? await request.line(#"{"data":"\#(index)"}"#)) != nil else { break }
                try await Task.sleep(for: .milliseconds(2))
            }
            let response = try await request.response()
            #expect(response.status == 429)
            let stored = try #require(TestNode.number("stored", in: response.body))
            #expect(try await Self.stored(node, "fast").count == stored)
            #expect(stored >= 5 && stored < 50)
        }
    }

    @Test("with an Idempotency-Key, sending the whole stream again stores each line once")
    func retryOfTheWholeStream() async throws {
        try await TestNode.with(.memory) { node in
            for attempt in 0..<2 {
                let request = try await StreamingPublishRequest.open(port: node.port, topic: "t", headers: [("Idempotency-Key", "answer-7")])
                for index in 0..<(attempt == 0 ? 3 : 5) { try await request.line(#"{"data":"\#(index)"}"#) }
                try await request.end()
                #expect(try await request.response().status == 200)
            }
            #expect(try await Self.stored(node, "t") == ["0", "1", "2", "3", "4"])
        }
    }

    @Test("after a stream, the connection serves the next request")
    func keepAlive() async throws {
        try await TestNode.with(.memory) { node in
            let request = try await StreamingPublishRequest.open(port: node.port, topic: "t")
            try await request.line(#"{"data":"x"}"#)
            try await request.end()
            #expect(try await request.response().status == 200)
            try await request.connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            let all = try await request.connection.receivedUntilClosed(timeout: .seconds(5))
            #expect(all.components(separatedBy: "HTTP/1.1 200").count == 3, "\(all)")
        }
    }

    @Test("a chunk size that lies or is not hex ends the request with its error; what came before stays stored")
    func malformedFraming() async throws {
        try await TestNode.with(.memory, configure: { $0.requestLimits.requestTimeout = .seconds(2) }) { node in
            // Says 255 bytes, sends 17 and waits: the rest of the chunk never comes, and the line in it never ends.
            let waiting = try await StreamingPublishRequest.open(port: node.port, topic: "waiting")
            try await waiting.line(#"{"data":"fine"}"#)
            try await waiting.connection.send("ff\r\n{\"data\":\"cut\"}")
            let timedOut = try await waiting.response()
            #expect(timedOut.status == 408)
            #expect(TestNode.number("stored", in: timedOut.body) == 1)
            #expect(try await Self.stored(node, "waiting") == ["fine"])

            // Says 255 bytes and sends more: the chunk's framing is read as data, a line that is no object.
            let over = try await StreamingPublishRequest.open(port: node.port, topic: "over")
            try await over.line(#"{"data":"fine"}"#)
            try await over.connection.send("ff\r\n{\"data\":\"short\"}\n\r\n0\r\n\r\n")
            let refused = try await over.response()
            #expect(refused.status == 400)
            #expect(TestNode.field("code", in: refused.body) == "invalid_body", "\(refused.body)")
            #expect(try await Self.stored(node, "over") == ["fine", "short"])

            let notHex = try await StreamingPublishRequest.open(port: node.port, topic: "hex")
            try await notHex.line(#"{"data":"fine"}"#)
            try await notHex.connection.send("zz\r\n{}\r\n")
            let malformed = try await notHex.connection.receivedUntilClosed(timeout: .seconds(5))
            #expect(malformed.contains("HTTP/1.1 400"), "\(malformed)")
            #expect(try await Self.stored(node, "hex") == ["fine"])

            let response = try await node.post("/publish?topic=t&other=1", contentType: "application/x-ndjson", body: #"{"data":"x"}"# + "\n")
            expectError(response, status: 400, code: "invalid_query", hint: "other")
            #expect(try await node.get("/healthz").status == 200)
        }
    }

    @Test("?topic= is the topic of events without one in JSON and form bodies too; anything else in the query is refused")
    func queryTopic() async throws {
        try await TestNode.with(.memory) { node in
            #expect(try await node.post("/publish?topic=q", contentType: "application/json", body: #"{"data":"json"}"#).status == 200)
            #expect(try await node.post("/publish?topic=q", contentType: "application/json", body: #"[{"data":"a"},{"topic":"other","data":"b"}]"#).status == 200)
            #expect(try await node.post("/publish?topic=q", contentType: "application/x-www-form-urlencoded", body: "data=form").status == 200)
            #expect(try await Self.stored(node, "q") == ["json", "a", "form"])
            #expect(try await Self.stored(node, "other") == ["b"])
            expectError(try await node.post("/publish?lastEventId=1", contentType: "application/json", body: #"{"topic":"t","data":"x"}"#), status: 400, code: "invalid_query", hint: "lastEventId")
            expectError(try await node.post("/publish?topic=", contentType: "application/json", body: #"{"data":"x"}"#), status: 400, code: "invalid_topic", hint: "empty")
        }
    }
}
