import NIOCore
import Testing
import HeraldClient

@Suite("Event streams over HTTP")
struct SSEStreamTests {
    private let limit: Duration = .seconds(5)

    @Test("a chunked event stream yields comments, retry and events, then ends, with the raw bytes kept exactly")
    func chunkedStream() async throws {
        try await TestHTTPServer.withServer { server in
            let stream = try await HeraldHTTPClient.openEventStream(port: server.port, path: "/events", timeout: limit)
            #expect(stream.status == 200)
            #expect(stream.header("Content-Type") == "text/event-stream")
            var items: [SSEParser.Item] = []
            while let item = try await stream.next(timeout: limit) { items.append(item) }
            #expect(items == [
                .comment("hello"), .retry(2000),
                .event(SSEEvent(type: "order.updated", data: #"{"a":1}"#, id: "1")),
                .event(SSEEvent(data: "line1\nline2", id: "2")),
            ])
            #expect(String(buffer: stream.rawBytes) == TestHTTPServer.script.joined())
            #expect(try await stream.next(timeout: limit) == nil)
        }
    }

    @Test("a close-delimited stream ends when the server closes the connection")
    func closeDelimited() async throws {
        try await TestHTTPServer.withServer { server in
            let stream = try await HeraldHTTPClient.openEventStream(port: server.port, path: "/close-delimited", timeout: limit)
            var events: [SSEEvent] = []
            while let event = try await stream.nextEvent(timeout: limit) { events.append(event) }
            #expect(events.map(\.data) == [#"{"a":1}"#, "line1\nline2"])
            #expect(String(buffer: stream.rawBytes) == TestHTTPServer.script.joined())
        }
    }

    @Test("Accept and Last-Event-ID are sent and the parser starts from that id")
    func lastEventID() async throws {
        try await TestHTTPServer.withServer { server in
            let stream = try await HeraldHTTPClient.openEventStream(
                port: server.port, path: "/open", headers: [("Last-Event-ID", "41")], timeout: limit
            )
            #expect(stream.header("x-last-event-id") == "41")
            #expect(stream.header("x-accept") == "text/event-stream")
            #expect(try await stream.nextEvent(timeout: limit) == SSEEvent(data: "hello", id: "41"))
            await stream.close()
        }
    }

    @Test("lastEventID starts from the Last-Event-ID header and follows the id fields received")
    func lastEventIDProperty() async throws {
        try await TestHTTPServer.withServer { server in
            let resumed = try await HeraldHTTPClient.openEventStream(
                port: server.port, path: "/open", headers: [("Last-Event-ID", "41")], timeout: limit
            )
            #expect(try await resumed.nextEvent(timeout: limit)?.data == "hello")
            #expect(resumed.lastEventID == "41")
            await resumed.close()
            let stream = try await HeraldHTTPClient.openEventStream(port: server.port, path: "/events", timeout: limit)
            while try await stream.next(timeout: limit) != nil {}
            #expect(stream.lastEventID == "2")
        }
    }

    @Test("waiting past the timeout throws timed out and leaves the stream open")
    func nextTimesOut() async throws {
        try await TestHTTPServer.withServer { server in
            let stream = try await HeraldHTTPClient.openEventStream(port: server.port, path: "/open", timeout: limit)
            #expect(try await stream.nextEvent(timeout: limit)?.data == "hello")
            await #expect {
                _ = try await stream.next(timeout: .milliseconds(100))
            } throws: { error in
                (error as? HeraldClientError)?.code == .timedOut
            }
            await stream.close()
            #expect(try await stream.next(timeout: limit) == nil)
            try await server.waitForClosedConnections(1)
        }
    }

    @Test("dropping a stream without closing it still closes the connection")
    func deinitCloses() async throws {
        try await TestHTTPServer.withServer { server in
            var stream: SSEStream? = try await HeraldHTTPClient.openEventStream(port: server.port, path: "/open", timeout: limit)
            #expect(stream?.status == 200)
            stream = nil
            try await server.waitForClosedConnections(1)
        }
    }

    @Test("cancelling the task waiting for an item ends the wait with CancellationError")
    func cancellation() async throws {
        try await TestHTTPServer.withServer { server in
            let stream = try await HeraldHTTPClient.openEventStream(port: server.port, path: "/open", timeout: limit)
            _ = try await stream.next(timeout: limit)
            let waiter = Task { try await stream.next(timeout: .seconds(30)) }
            waiter.cancel()
            await #expect(throws: CancellationError.self) { _ = try await waiter.value }
            await stream.close()
        }
    }

    @Test("a server that sends no head fails the open as timed out")
    func headTimeout() async throws {
        try await TestHTTPServer.withServer { server in
            await #expect {
                _ = try await HeraldHTTPClient.openEventStream(port: server.port, path: "/silent", timeout: .milliseconds(200))
            } throws: { error in
                (error as? HeraldClientError)?.code == .timedOut
            }
        }
    }
}
