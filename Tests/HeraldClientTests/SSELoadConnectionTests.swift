import Synchronization
import Testing
import HeraldClient

@Suite("Load-generator connections")
struct SSELoadConnectionTests {
    @Test("events reach the callback in order and the end is reported once, without a task per connection")
    func deliversEvents() async throws {
        try await TestHTTPServer.withServer { server in
            let received = ReceivedIDs()
            let (ends, endContinuation) = AsyncStream.makeStream(of: HeraldClientError?.self)
            let connections = try await withThrowingTaskGroup(of: SSELoadConnection.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        try await SSELoadConnection.connect(
                            port: server.port, path: "/events", timeout: .seconds(5), keepingIDs: true,
                            onEvent: { event in received.record(event) },
                            onEnd: { endContinuation.yield($0) }
                        )
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(connections.allSatisfy { $0.status == 200 })
            try await Self.waitForEnds(20, in: ends)
            #expect(received.ids.withLock { $0 }.sorted() == Array(repeating: "1", count: 20) + Array(repeating: "2", count: 20))
        }
    }

    @Test("a close-delimited HTTP/1.0 stream like nchan's is read to its end")
    func closeDelimited() async throws {
        try await TestHTTPServer.withServer { server in
            let received = ReceivedIDs()
            let (ends, endContinuation) = AsyncStream.makeStream(of: HeraldClientError?.self)
            let connection = try await SSELoadConnection.connect(
                port: server.port, path: "/close-delimited", timeout: .seconds(5), keepingIDs: true,
                onEvent: { received.record($0) }, onEnd: { endContinuation.yield($0) }
            )
            #expect(connection.status == 200)
            try await Self.waitForEnds(1, in: ends)
            #expect(received.ids.withLock { $0 } == ["1", "2"])
        }
    }

    @Test("a connection opened without reading delivers what was sent once it resumes reading")
    func stalledThenResumed() async throws {
        try await TestHTTPServer.withServer { server in
            let received = ReceivedIDs()
            let (ends, endContinuation) = AsyncStream.makeStream(of: HeraldClientError?.self)
            let connection = try await SSELoadConnection.connect(
                port: server.port, path: "/events", timeout: .seconds(5), reading: false, keepingIDs: true,
                onEvent: { received.record($0) }, onEnd: { endContinuation.yield($0) }
            )
            connection.resumeReading()
            try await Self.waitForEnds(1, in: ends)
            #expect(received.ids.withLock { $0 } == ["1", "2"])
        }
    }

    @Test("a server that sends no head fails the connect within its timeout")
    func silentServer() async throws {
        try await TestHTTPServer.withServer { server in
            await #expect(throws: HeraldClientError.self) {
                try await SSELoadConnection.connect(port: server.port, path: "/silent", timeout: .milliseconds(200), onEvent: { _ in })
            }
        }
    }

    /// Waits for `count` successful ends, failing after 5 s.
    private static func waitForEnds(_ count: Int, in ends: AsyncStream<HeraldClientError?>) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                var endCount = 0
                for await end in ends {
                    #expect(end == nil)
                    endCount += 1
                    if endCount == count { return }
                }
            }
            group.addTask {
                try await Task.sleep(for: .seconds(5))
                throw TestHTTPServer.TimedOut()
            }
            try await group.next()
            group.cancelAll()
        }
    }
}

/// Collects event ids from many connections' event loops at once.
private final class ReceivedIDs: Sendable {
    let ids = Mutex<[String]>([])

    func record(_ event: SSELoadEvent) {
        let id = event.id.map { String(decoding: $0, as: UTF8.self) } ?? "-"
        ids.withLock { $0.append(id) }
    }
}
