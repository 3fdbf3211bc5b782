import HeraldClient
import HeraldCore
import NIOCore
import TestSupport
import Testing

@Suite("Event stream responses", .timeLimit(.minutes(1)))
struct StreamResponseTests {
    @Test("a stream starts at once with its headers, retry and a resume point, byte for byte")
    func streamStart() async throws {
        try await TestNode.with(.memory, configure: { $0.retryInterval = .milliseconds(1500) }) { node in
            let stream = try await node.stream(["orders/42"])
            #expect(stream.status == 200)
            #expect(stream.header("content-type") == "text/event-stream")
            #expect(stream.header("cache-control") == "no-cache")
            #expect(stream.header("x-accel-buffering") == "no")
            #expect(try await stream.next(timeout: .seconds(5)) == .retry(1500))
            let id = try await node.publish("orders/42", "{\"n\":1}", event: "order.updated")
            let event = try #require(try await stream.nextEvent(timeout: .seconds(5)))
            let text = String(buffer: stream.rawBytes)
            let initial = Cursor(topics: [try Topic("orders/42")], positions: [.none]).encoded
            #expect(text == "retry: 1500\n\nid: \(initial)\n\nevent: order.updated\ndata: {\"n\":1}\nid: \(id)\n\n")
            #expect(event == SSEEvent(type: "order.updated", data: "{\"n\":1}", id: id))
            await stream.close()
        }
    }

    @Test("an idle stream receives heartbeat comments")
    func heartbeat() async throws {
        try await TestNode.with(.memory, heartbeat: .milliseconds(50)) { node in
            let stream = try await node.stream(["quiet"])
            var comments = 0
            while comments < 2, let item = try await stream.next(timeout: .seconds(5)) {
                if item == .comment("ping") { comments += 1 }
            }
            #expect(comments == 2)
            await stream.close()
        }
    }

    @Test("data that contains SSE syntax arrives intact and injects nothing")
    func noInjection() async throws {
        try await TestNode.with(.memory) { node in
            let stream = try await node.stream(["x"])
            let hostile = "a\r\nid: forged\r\n\r\nevent: evil\rdata: b"
            try await node.publish("x", hostile)
            let event = try #require(try await stream.nextEvent(timeout: .seconds(5)))
            #expect(event.type == "message")
            #expect(event.data == "a\nid: forged\n\nevent: evil\ndata: b")
            #expect(event.id != "forged")
            await stream.close()
        }
    }

    @Test("graceful shutdown ends open streams and refuses nothing already accepted")
    func shutdownEndsStreams() async throws {
        let node = try await TestNode.start(.memory)
        let stream = try await node.stream(["s"])
        try await node.publish("s", "before")
        try await node.stop()
        var items: [SSEParser.Item] = []
        while let item = try await stream.next(timeout: .seconds(5)) { items.append(item) }
        #expect(items.contains(.event(SSEEvent(data: "before", id: items.compactMap { if case .event(let e) = $0 { e.id } else { nil } }.first))))
    }
}

@Suite("Client departure", .timeLimit(.minutes(1)))
struct ClientDepartureTests {
    @Test("a client that goes away is noticed without any write to it")
    func departureNoticed() async throws {
        try await TestNode.with(.memory) { node in
            let stream = try await node.stream(["idle"])
            _ = try await stream.next(timeout: .seconds(5))  // the retry line: the session exists
            #expect(await node.fanOut.sessionCount() == 1)
            await stream.close()
            // why: the server learns of the close asynchronously; bounded wait, no event is published meanwhile.
            let deadline = ContinuousClock.now + .seconds(5)
            while await node.fanOut.sessionCount() > 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
            #expect(await node.fanOut.sessionCount() == 0)
        }
    }
}
