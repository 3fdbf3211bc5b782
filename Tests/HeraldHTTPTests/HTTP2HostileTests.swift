import HeraldHTTP
import NIOCore
import TestSupport
import Testing

/// Hostile HTTP/2 clients (frames written by hand, over h2c): each is refused or cut as the protocol allows,
/// the node stays healthy, and a well-behaved client on another connection receives every event meanwhile.
@Suite("HTTP/2 hostile input", .timeLimit(.minutes(1)))
struct HTTP2HostileTests {
    typealias Frame = HTTP2TestClient.Frame

    /// A node taking h2c, with a bystander stream (HTTP/1.1) that must get every event published during the test.
    static func withNode(
        configure: @escaping (inout EdgeConfiguration) -> Void = { _ in },
        _ body: (TestNode) async throws -> Void
    ) async throws {
        try await TestNode.with(.memory, configure: {
            $0.http2.cleartext = true
            configure(&$0)
        }) { node in
            let bystander = try await node.stream(["bystander"])
            try await body(node)
            for index in 0..<3 { _ = try await node.publish("bystander", "event \(index)") }
            for index in 0..<3 {
                #expect(try await bystander.nextEvent(timeout: .seconds(5))?.data == "event \(index)", "the bystander missed an event")
            }
            #expect(try await node.get("/healthz").status == 200)
            await bystander.close()
        }
    }

    @Test("h2c with prior knowledge serves a request, and HTTP/1.1 still works on the same port")
    func priorKnowledge() async throws {
        try await Self.withNode { node in
            let client = try await HTTP2TestClient.connect(port: node.port)
            try await client.send(try client.get("/healthz", stream: 1))
            #expect(try await client.wait { frames in frames.contains { $0.type == Frame.data && $0.stream == 1 && $0.flags & 0x1 != 0 } })
            #expect(client.text(on: 1).contains(#""status":"ok""#), "\(client.text(on: 1))")
            await client.close()
        }
    }

    @Test("streams past --h2-max-streams are refused with RST_STREAM while the first ones stream on")
    func streamsPastTheLimit() async throws {
        try await Self.withNode(configure: { $0.http2.maxConcurrentStreams = 4 }) { node in
            let client = try await HTTP2TestClient.connect(port: node.port, replenished: Set((0..<8).map { UInt32(2 * $0 + 1) }))
            // why: the server's SETTINGS (the limit) must be known to have arrived, as a real client would wait.
            #expect(try await client.wait { $0.contains { $0.type == Frame.settings } })
            var opening = ByteBuffer()
            for index in 0..<8 { opening.writeImmutableBuffer(try client.get("/events?topic=limit", stream: UInt32(2 * index + 1))) }
            try await client.send(opening)
            // The fifth stream gets GOAWAY (NIO answers the first violation with PROTOCOL_ERROR and lets the
            // streams below it finish), the later ones RST_STREAM REFUSED_STREAM; none of them is served.
            #expect(try await client.wait { frames in
                frames.contains { $0.type == Frame.goAway } && frames.filter { $0.type == Frame.resetStream }.count >= 3
            }, "\(client.frames.map { "\($0.type)/\($0.stream)/\($0.errorCode.map(String.init) ?? "-")" })")
            let served = Set(client.frames.filter { $0.type == Frame.headers }.map(\.stream))
            #expect(served == [1, 3, 5, 7], "only the first four streams are answered: \(served)")
            #expect(client.frames.filter { $0.type == Frame.resetStream }.allSatisfy { $0.errorCode == 0x7 }, "REFUSED_STREAM")
            _ = try await node.publish("limit", "to the first four")
            #expect(try await client.wait { frames in [1, 3, 5, 7].allSatisfy { stream in client.text(on: stream).contains("to the first four") } })
            await client.close()
        }
    }

    @Test("a rapid-reset flood (HEADERS then RST_STREAM, over and over) ends with GOAWAY and a closed connection")
    func rapidReset() async throws {
        try await Self.withNode { node in
            let client = try await HTTP2TestClient.connect(port: node.port)
            var flood = ByteBuffer()
            for index in 0..<2_000 {
                let stream = UInt32(2 * index + 1)
                flood.writeImmutableBuffer(try client.get("/events?topic=reset", stream: stream))
                flood.writeImmutableBuffer(HTTP2TestClient.resetStream(stream))
            }
            try? await client.send(flood)
            #expect(try await client.wait { $0.contains { $0.type == Frame.goAway } }, "no GOAWAY: \(client.frames.count) frames")
            let goAway = client.frames.first { $0.type == Frame.goAway }
            #expect(goAway?.errorCode == 0xB, "ENHANCE_YOUR_CALM, got \(String(describing: goAway?.errorCode))")
            #expect(try await client.wait { _ in !client.isOpen })
        }
    }

    @Test("a SETTINGS flood ends with the connection closed")
    func settingsFlood() async throws {
        try await Self.withNode { node in
            let client = try await HTTP2TestClient.connect(port: node.port)
            var flood = ByteBuffer()
            for _ in 0..<20_000 { flood.writeImmutableBuffer(HTTP2TestClient.settings([(0x3, 100)])) }
            try? await client.send(flood)
            #expect(try await client.wait { _ in !client.isOpen }, "still open after 20,000 SETTINGS")
        }
    }

    @Test("a HEADERS flood of requests whose answers are never read stays bounded by the stream limit")
    func headersFlood() async throws {
        try await Self.withNode(configure: { $0.http2.maxConcurrentStreams = 16 }) { node in
            let client = try await HTTP2TestClient.connect(port: node.port, settings: [(0x4, 0)])
            var flood = ByteBuffer()
            for index in 0..<5_000 { flood.writeImmutableBuffer(try client.get("/healthz", stream: UInt32(2 * index + 1))) }
            try? await client.send(flood)
            // With a window of 0 no answer's body can be sent, so each answered stream stays open: past 16 the
            // node refuses them (GOAWAY, then RST_STREAM), and past 200 refusals it drops the connection.
            #expect(try await client.wait { _ in !client.isOpen }, "still open: \(client.frames.count) frames")
            let served = Set(client.frames.filter { $0.type == Frame.headers }.map(\.stream))
            #expect(served.count <= 16, "at most 16 streams answered: \(served.count)")
        }
    }

    @Test("the streams of one connection together hold no more than --slow-client-buffer: past it, streams are reset though each alone is under it")
    func connectionBudget() async throws {
        try await Self.withNode(configure: { $0.slowClientBufferLimit = 64 << 10 }) { node in
            // Four streams whose windows are never updated (the connection's is): each gets its 64 KiB window,
            // then holds what is published past it, about 24 KiB each, under its own limit of 64 KiB.
            let client = try await HTTP2TestClient.connect(port: node.port)
            let streams: [UInt32] = [1, 3, 5, 7]
            for stream in streams { try await client.send(try client.get("/events?topic=budget-\(stream)", stream: stream)) }
            #expect(try await client.wait { _ in streams.allSatisfy { client.text(on: $0).contains("retry:") } })
            let data = String(repeating: "y", count: 16 << 10)
            for _ in 0..<6 {
                for stream in streams { _ = try await node.publish("budget-\(stream)", data) }
            }
            #expect(try await client.wait { frames in frames.contains { $0.type == Frame.resetStream } },
                    "no stream was reset: 4 × ~24 KiB held passes the connection's 64 KiB")
            let reset = Set(client.frames.filter { $0.type == Frame.resetStream }.map(\.stream))
            #expect(reset.count < streams.count, "the connection's budget cuts some streams, not all: \(reset)")
            await client.close()
        }
    }

    @Test("an HTTP/2 connection refused at a full node gets its retry stream and is closed, not left to idle out")
    func refusedConnectionCloses() async throws {
        try await TestNode.with(.memory, configure: {
            $0.http2.cleartext = true
            $0.maxConnections = 1
        }) { node in
            let holder = try await HTTP2TestClient.connect(port: node.port, replenished: [1])
            try await holder.send(try holder.get("/events?topic=full", stream: 1))
            #expect(try await holder.wait { _ in holder.text(on: 1).contains("retry:") })
            let refused = try await HTTP2TestClient.connect(port: node.port)
            try await refused.send(try refused.get("/events?topic=full", stream: 1))
            // why: 5 s, half the 10 s request timeout after which an idle HTTP/2 connection would be closed anyway.
            #expect(try await refused.wait(for: .seconds(5)) { _ in !refused.isOpen }, "the refused connection stayed open")
            #expect(refused.text(on: 1).contains("too_many_connections"), "\(refused.text(on: 1))")
            await holder.close()
        }
    }

    @Test("--max-connections-per-ip counts each event stream of an HTTP/2 connection, not the connection once; a closed stream frees its place")
    func perAddressLimitCountsStreams() async throws {
        try await TestNode.with(.memory, configure: {
            $0.http2.cleartext = true
            $0.maxConnectionsPerAddress = 3
        }) { node in
            // The connection counts 1, streams 1 and 3 one each: stream 5 is the fourth from 127.0.0.1.
            let client = try await HTTP2TestClient.connect(port: node.port, replenished: [1, 3, 5, 7])
            for stream: UInt32 in [1, 3] {
                try await client.send(try client.get("/events?topic=per-address-\(stream)", stream: stream))
                #expect(try await client.wait { _ in client.text(on: stream).contains("retry:") }, "stream \(stream) did not open")
            }
            try await client.send(try client.get("/events?topic=per-address-5", stream: 5))
            #expect(try await client.wait { _ in client.text(on: 5).contains("too_many_connections_from_address") },
                    "stream 5 was not refused: \(client.text(on: 5))")
            try await client.send(HTTP2TestClient.resetStream(1))
            try await client.send(try client.get("/events?topic=per-address-7", stream: 7))
            #expect(try await client.wait { _ in client.text(on: 7).contains("retry:") && !client.text(on: 7).contains("too_many") },
                    "stream 7 was refused though stream 1 closed: \(client.text(on: 7))")
            await client.close()
        }
    }

    @Test("on drain an HTTP/2 connection gets GOAWAY (NO_ERROR) and its stream ends with END_STREAM")
    func drainSendsGoAway() async throws {
        let node = try await TestNode.start(.memory, configure: { $0.http2.cleartext = true })
        let client = try await HTTP2TestClient.connect(port: node.port, replenished: [1])
        try await client.send(try client.get("/events?topic=drain", stream: 1))
        #expect(try await client.wait { _ in client.text(on: 1).contains("retry:") })
        try await node.stop()
        // The node has sent its last frames when stop returns; the client's loop may not have read them yet.
        #expect(try await client.wait { $0.contains { $0.type == Frame.goAway && $0.errorCode == 0 } }, "\(client.frames.map(\.type))")
        #expect(try await client.wait { $0.contains { $0.type == Frame.data && $0.stream == 1 && $0.flags & 0x1 != 0 } },
                "the stream did not end cleanly: \(client.frames.map(\.type))")
        await client.close()
    }

    @Test("a stream whose window is never updated is reset alone; another stream of the same connection goes on")
    func windowNeverUpdated() async throws {
        try await Self.withNode(configure: { $0.slowClientBufferLimit = 64 << 10 }) { node in
            // Stream 1 (topic flood) is never replenished; stream 3 (topic calm) is.
            let client = try await HTTP2TestClient.connect(port: node.port, replenished: [3])
            try await client.send(try client.get("/events?topic=flood", stream: 1))
            try await client.send(try client.get("/events?topic=calm", stream: 3))
            #expect(try await client.wait { frames in [1, 3].allSatisfy { stream in client.text(on: stream).contains("retry:") } })
            let data = String(repeating: "x", count: 16 << 10)
            for index in 0..<40 {
                _ = try await node.publish("flood", data)
                _ = try await node.publish("calm", "calm \(index)")
            }
            #expect(try await client.wait { $0.contains { $0.type == Frame.resetStream && $0.stream == 1 } }, "stream 1 was not reset")
            #expect(try await client.wait { _ in client.text(on: 3).contains("calm 39") }, "stream 3 stalled: \(client.text(on: 3).suffix(200))")
            #expect(client.isOpen && !client.frames.contains { $0.type == Frame.goAway }, "the connection itself stays")
            await client.close()
        }
    }
}
