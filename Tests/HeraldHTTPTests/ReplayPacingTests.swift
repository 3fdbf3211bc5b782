import HeraldClient
import HeraldHTTP
import TestSupport
import Testing

/// A resumed stream's replay is written as fast as its client reads it, never all at once.
@Suite("Replay paced by the connection", .timeLimit(.minutes(1)))
struct ReplayPacingTests {
    static let cutMessage = "closing stream of a client that does not read"

    /// Publishes 1000 events of 16 KiB (16 MiB, far more than the 4 MiB slow-client buffer) after a first one;
    /// returns the first one's id.
    func publishLargeHistory(on node: TestNode) async throws -> String {
        let first = try await node.publish("big", "start")
        let payload = String(repeating: "x", count: 16 << 10)
        for batch in 0..<20 {
            let items = (0..<50).map { "{\"topic\":\"big\",\"data\":\"\(batch * 50 + $0) \(payload)\"}" }
            #expect(try await node.post(contentType: "application/json", body: "[\(items.joined(separator: ","))]").status == 200)
        }
        return first
    }

    @Test("a client that never reads during a 16 MiB replay is cut, with only about the high-water mark queued for it")
    func neverReadingDuringReplay() async throws {
        let log = LogRecorder()
        try await TestNode.with(.memory, logger: log.logger, configure: { $0.replayStallLimit = .seconds(1) }) { node in
            let first = try await publishLargeHistory(on: node)
            let stuck = try await RawConnection.connect(port: node.port, reading: false)
            try await stuck.send("GET /events?topic=big HTTP/1.1\r\nHost: x\r\nLast-Event-ID: \(first)\r\n\r\n")
            let deadline = ContinuousClock.now + .seconds(20)
            // why: each round is a request to the node, which paces the wait without sleeping.
            while log.records(Self.cutMessage).isEmpty, ContinuousClock.now < deadline {
                _ = try await node.get("/healthz")
            }
            let cut = try #require(log.records(Self.cutMessage).first, "the stuck stream was cut")
            let queued = try #require(cut.metadata["herald.bytes.queued"].flatMap { Int($0) })
            // why: the replay stops at the 256 KiB high-water mark; one 16 KiB event may cross it.
            #expect(queued <= (256 + 17) << 10, "queued \(queued) bytes")
            #expect(cut.metadata["herald.stream.live"] == "false", "cut during its replay")
            #expect(TestNode.number("streams", in: try await node.get("/healthz").bodyText) == 0)
            await stuck.close()
        }
    }

    @Test("a client that reads its replay gets all of it in order and is not cut, however much larger than the slow-client buffer it is")
    func readingClientIsNotCut() async throws {
        let log = LogRecorder()
        try await TestNode.with(.memory, logger: log.logger, configure: { $0.slowClientBufferLimit = 1 << 20 }) { node in
            let first = try await publishLargeHistory(on: node)
            let resumed = try await node.stream(["big"], lastEventID: first)
            let replayed = try await resumed.events(1000, timeout: .seconds(20))
            #expect(replayed.map { $0.data.prefix(while: { $0 != " " }) } == (0..<1000).map { Substring("\($0)") })
            try await node.publish("big", "live")
            #expect(try await resumed.nextEvent(timeout: .seconds(5))?.data == "live")
            #expect(log.records(Self.cutMessage).isEmpty)
            await resumed.close()
        }
    }
}
