import Synchronization
import Testing
import HeraldClient

@Suite("Load-generator connections")
struct SSELoadConnectionTests {
    @Test("events reach the callback in order and the end is reported once, without a task per connection")
    func deliversEvents() async throws {
        try await TestHTTPServer.withServer { server in
            let received = ReceivedEvents()
            let (ends, endContinuation) = AsyncStream.makeStream(of: HeraldClientError?.self)
            let connections = try await withThrowingTaskGroup(of: SSELoadConnection.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        try await SSELoadConnection.connect(
                            port: server.port, path: "/events", timeout: .seconds(5),
                            onEvent: { event in received.events.withLock { $0.append(event) } },
                            onEnd: { endContinuation.yield($0) }
                        )
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(connections.allSatisfy { $0.status == 200 })
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    var endCount = 0
                    for await end in ends {
                        #expect(end == nil)
                        endCount += 1
                        if endCount == 20 { return }
                    }
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(5))
                    throw TestHTTPServer.TimedOut()
                }
                try await group.next()
                group.cancelAll()
            }
            let events = received.events.withLock { $0 }
            #expect(events.count == 40)
            #expect(events.filter { $0.id == "1" }.allSatisfy { $0.type == "order.updated" && $0.data == #"{"a":1}"# })
        }
    }
}

/// Collects events from many connections' event loops at once.
private final class ReceivedEvents: Sendable {
    let events = Mutex<[SSEEvent]>([])
}
