import HeraldClient
import HeraldCore
import NIOCore
import TestSupport
import Testing

/// Every limit refuses with its own status and a JSON error, and the node keeps serving everyone else.
@Suite("Request and connection limits", .timeLimit(.minutes(1)))
struct LimitsTests {
    @Test("a request line and headers over --max-header-size get 431, and the node serves the next request")
    func headersTooLarge() async throws {
        try await TestNode.with(.memory, configure: { $0.requestLimits.maxHeaderSize = 4096 }) { node in
            let response = try await node.get("/healthz", headers: [("x-padding", String(repeating: "p", count: 5000))])
            expectError(response, status: 431, code: "headers_too_large", hint: "4096")
            #expect(try await node.get("/healthz").status == 200)
        }
    }

    @Test("a URL over --max-url-size gets 414")
    func urlTooLong() async throws {
        try await TestNode.with(.memory, configure: { $0.requestLimits.maxURLSize = 1024 }) { node in
            let response = try await node.get("/events?topic=" + String(repeating: "t", count: 1100))
            expectError(response, status: 414, code: "uri_too_long", hint: "1024")
        }
    }

    @Test("bytes that are not HTTP get 400 malformed_request and the connection closes")
    func garbage() async throws {
        try await TestNode.with(.memory) { node in
            let connection = try await RawConnection.connect(port: node.port)
            try await connection.send("\u{1}\u{2} NOT HTTP AT ALL\r\n\r\n")
            let answer = try await connection.receivedUntilClosed(timeout: .seconds(5))
            #expect(answer.hasPrefix("HTTP/1.1 400"))
            #expect(answer.contains("\"malformed_request\""))
        }
    }

    @Test("a client sending its request one byte at a time, too slowly, gets 408 and is cut off; others are served")
    func slowSender() async throws {
        // why: 1 s, not 300 ms: the well-behaved publish at the end must arrive within it too, and on a loaded CI
        // box it did not (408); the slow client sends a byte every 100 ms, so it is cut after about 10 of its 34.
        try await TestNode.with(.memory, configure: { $0.requestLimits.requestTimeout = .seconds(1) }) { node in
            let connection = try await RawConnection.connect(port: node.port)
            var sent = 0
            for byte in "POST /publish HTTP/1.1\r\nHost: x\r\n" {
                guard connection.isOpen else { break }
                try? await connection.send(String(byte))
                sent += 1
                // why: this is the slow client under test, not a synchronisation: one byte every 100 ms.
                try await Task.sleep(for: .milliseconds(100))
            }
            let answer = try await connection.receivedUntilClosed(timeout: .seconds(5))
            #expect(answer.hasPrefix("HTTP/1.1 408"))
            #expect(answer.contains("\"request_timeout\""))
            #expect(sent < 20, "the connection was cut before the slow request completed")
            try await node.publish("t", "still serving")
        }
    }

    @Test("an idle keep-alive connection is closed after the request timeout")
    func idleConnection() async throws {
        try await TestNode.with(.memory, configure: { $0.requestLimits.requestTimeout = .milliseconds(200) }) { node in
            let connection = try await RawConnection.connect(port: node.port)
            let answer = try await connection.receivedUntilClosed(timeout: .seconds(5))
            #expect(answer.contains("\"request_timeout\""))
        }
    }

    @Test("the request timeout restarts after each response: a keep-alive client may send its next request later than the first deadline")
    func timeoutRestartsAfterEachResponse() async throws {
        let timeout = Duration.seconds(6)
        try await TestNode.with(.memory, configure: { $0.requestLimits.requestTimeout = .seconds(6) }) { node in
            let connection = try await RawConnection.connect(port: node.port)
            let start = ContinuousClock.now
            // why: the second request goes halfway between the first deadline (start + 3 s) and the one the
            // first response restarted (its arrival + 6 s), both measured, not assumed: on a loaded 2-core box
            // a fixed schedule missed the window when the first answer came late. Sending the first at 3.6 s
            // makes that window 3.6 s long, 1.8 s of margin on each side (0.9 s, with a 3 s timeout, was
            // missed in a suite run beside a release build).
            try await Task.sleep(until: start + .milliseconds(3600))
            do {
                try await connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            } catch {
                // why: seen once in a loaded full run; say when, and what the node had sent, to tell a late wake-up from an early close.
                Issue.record("the first request could not be sent \(ContinuousClock.now - start) after connecting: \(error); received \(connection.received.debugDescription)")
                return
            }
            while !connection.received.contains("HTTP/1.1 200"), connection.isOpen, ContinuousClock.now < start + .seconds(20) {
                try await Task.sleep(for: .milliseconds(5))
            }
            let answered = ContinuousClock.now
            try #require(connection.received.contains("HTTP/1.1 200") && answered < start + timeout, "the first request was answered before the first deadline")
            try await Task.sleep(until: start + timeout + (answered - start) / 2)
            do {
                try await connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            } catch {
                Issue.record("the second request could not be sent \(ContinuousClock.now - start) after connecting (first answered after \(answered - start)): \(error); received \(connection.received.debugDescription)")
                return
            }
            let answer = try await connection.receivedUntilClosed(timeout: .seconds(15))
            #expect(answer.components(separatedBy: "HTTP/1.1 200").count == 3, "\(answer)")
            #expect(answer.contains("HTTP/1.1 408") && answer.contains("\"request_timeout\""))
        }
    }

    @Test("a slow backend does not count against the client's request timeout")
    func slowBackendIsNotTheClientsFault() async throws {
        let broker = GatedBroker()
        // why: 500 ms, not less: the whole request must reach the node within the timeout, and with every suite
        // running in parallel on two cores a 100 ms budget was missed (a 408 before the publish began, which
        // left this test waiting for a publish that never came).
        try await TestNode.with(.memory, brokerOverride: { broker }, configure: { $0.requestLimits.requestTimeout = .milliseconds(500) }) { node in
            let publishing = Task { try await node.post(contentType: "application/json", body: #"{"topic":"t","data":"x"}"#) }
            await broker.started()
            // why: the backend is held past the request timeout on purpose, to show it does not cut the client.
            try await Task.sleep(for: .milliseconds(800))
            broker.release()
            #expect(try await publishing.value.status == 200)
        }
    }

    @Test("beyond --max-connections a request gets 503 with Retry-After, a stream a retry stream that ends at once")
    func tooManyConnections() async throws {
        try await TestNode.with(.memory, configure: { $0.maxConnections = 2; $0.unavailableRetry = .milliseconds(400) }) { node in
            let first = try await node.stream(["a"])
            let second = try await node.stream(["b"])
            let refused = try await node.get("/healthz")
            expectError(refused, status: 503, code: "too_many_connections", hint: "maximum of 2")
            #expect(refused.header("retry-after") != nil)
            let stream = try await node.stream(["c"])
            #expect(stream.status == 200)
            #expect(stream.header("content-type") == "text/event-stream")
            let refusal = try await stream.refusal()
            #expect(refusal.ended && refusal.other.isEmpty)
            #expect(refusal.code == "too_many_connections")
            let retry = try #require(refusal.retry)
            #expect(refusal.retryAfterMilliseconds == retry, "the notice says when the browser comes back")
            // why: the base is 400 ms with ±50 % jitter, stretched by at most a few refusals per second here.
            #expect((200...1200).contains(retry), "retry \(retry) ms")
            await first.close()
            await second.close()
        }
    }

    @Test("beyond --max-connections-per-ip a request from the same address gets 429, a stream a retry stream")
    func tooManyFromOneAddress() async throws {
        try await TestNode.with(.memory, configure: { $0.maxConnectionsPerAddress = 1 }) { node in
            let stream = try await node.stream(["a"])
            let refused = try await node.get("/healthz")
            expectError(refused, status: 429, code: "too_many_connections_from_address", hint: "127.0.0.1")
            let refusedStream = try await node.stream(["b"])
            #expect(refusedStream.status == 200)
            let refusal = try await refusedStream.refusal()
            #expect(refusal.code == "too_many_connections_from_address")
            #expect(refusal.retry != nil && refusal.retry == refusal.retryAfterMilliseconds)
            await stream.close()
        }
    }

    @Test("permanent refusals of a stream stay HTTP errors: an invalid request gets 400, not a retry stream")
    func permanentRefusalStaysAnError() async throws {
        try await TestNode.with(.memory) { node in
            expectError(try await node.get("/events"), status: 400, code: "missing_topic", hint: "topic")
            expectError(try await node.get("/events?topic=a&lastEventId=%21%21"), status: 400, code: "malformed_cursor", hint: "Herald cursor")
        }
    }

    @Test("/stats counts refused streams and requests under capacity")
    func statsCountRefusals() async throws {
        try await TestNode.with(.memory, configure: { $0.maxConnections = 1 }) { node in
            let stream = try await node.stream(["a"])
            _ = try await node.stream(["b"]).refusal()
            _ = try await node.stream(["c"]).refusal()
            _ = try await node.get("/healthz")
            await stream.close()
            var stats = ""
            // why: the stream's slot is released when the node sees the close; poll (bounded) until it has.
            for _ in 0..<200 {
                let response = try await node.get("/stats")
                if response.status == 200 { stats = response.bodyText; break }
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(TestNode.number("streamsRefused", in: stats) == 2, "\(stats)")
            #expect(TestNode.number("requestsRefused", in: stats) ?? 0 >= 1, "\(stats)")
            #expect(TestNode.number("maxConnections", in: stats) == 1, "\(stats)")
            #expect(TestNode.number("acceptFailures", in: stats) == 0, "\(stats)")
        }
    }

    @Test("beyond --publish-rate-per-ip publishing gets 429 with Retry-After and stores nothing")
    func publishRate() async throws {
        try await TestNode.with(.memory, configure: { $0.publishRatePerAddress = 5 }) { node in
            let stream = try await node.stream(["r"])
            let batch = "[" + (1...5).map { "{\"topic\":\"r\",\"data\":\"\($0)\"}" }.joined(separator: ",") + "]"
            // why: both batches in one write, pipelined: the second needs the whole bucket back (1 s), and two round
            // trips on a loaded box took that long (seen in a full run), refilling it.
            let request = "POST /publish HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: \(batch.utf8.count)\r\n"
            let connection = try await RawConnection.connect(port: node.port)
            try await connection.send(request + "\r\n" + batch + request + "connection: close\r\n\r\n" + batch)
            let answers = try await connection.receivedUntilClosed(timeout: .seconds(10)).components(separatedBy: "HTTP/1.1 ")
            #expect(answers.count == 3 && answers[1].hasPrefix("200") && answers[2].hasPrefix("429"), "\(answers)")
            #expect(answers.last?.contains(#""code":"rate_limited""#) == true && answers.last?.contains("5 events per second") == true)
            #expect(answers.last?.lowercased().contains("retry-after:") == true)
            let tooBig = "[" + (1...6).map { "{\"topic\":\"r\",\"data\":\"\($0)\"}" }.joined(separator: ",") + "]"
            expectError(try await node.post(contentType: "application/json", body: tooBig), status: 429, code: "rate_limited", hint: "smaller batches")
            #expect(try await stream.events(5).map(\.data) == ["1", "2", "3", "4", "5"])
            await #expect(throws: HeraldClientError.self) { try await stream.nextEvent(timeout: .milliseconds(200)) }
        }
    }

    @Test("event data over --max-event-size gets 413 event_too_large, and a batch with one is not stored")
    func eventTooLarge() async throws {
        try await TestNode.with(.memory, configure: { $0.maxEventSize = 100 }) { node in
            let stream = try await node.stream(["big"])
            let large = String(repeating: "x", count: 101)
            expectError(try await node.post(contentType: "application/json", body: "{\"topic\":\"big\",\"data\":\"\(large)\"}"), status: 413, code: "event_too_large", hint: "101 bytes")
            let batch = "[{\"topic\":\"big\",\"data\":\"ok\"},{\"topic\":\"big\",\"data\":\"\(large)\"}]"
            expectError(try await node.post(contentType: "application/json", body: batch), status: 413, code: "event_too_large", hint: "item 1")
            try await node.publish("big", "after")
            #expect(try await stream.nextEvent(timeout: .seconds(5))?.data == "after")
        }
    }
}
