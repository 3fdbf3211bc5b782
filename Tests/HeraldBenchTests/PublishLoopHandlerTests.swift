import NIOCore
import NIOEmbedded
import Testing
@testable import HeraldBench

@Suite("The event-loop publish driver")
struct PublishLoopHandlerTests {
    private static let ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"
    private static let refused = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n"

    /// The request line and first `seq` of the request the handler wrote last.
    private func sent(_ channel: EmbeddedChannel) throws -> (line: String, firstSequence: String)? {
        guard let buffer = try channel.readOutbound(as: ByteBuffer.self) else { return nil }
        let text = String(buffer: buffer)
        let line = String(text.prefix { $0 != "\r" })
        let sequence = text.split(separator: #"\"seq\":"#, maxSplits: 1).last.map { String($0.prefix { $0.isNumber }) } ?? ""
        return (line, sequence)
    }

    @Test("closed loop sends the next batch on each answer, taking its topics in turn, and counts events")
    func closedLoop() throws {
        let channel = EmbeddedChannel()
        let done = channel.eventLoop.makePromise(of: PublishOutcome.self)
        let encoder = PublishRequestEncoder(server: .herald, host: "127.0.0.1", port: 1, payloadSize: 80)
        try channel.pipeline.syncOperations.addHandler(
            PublishLoopHandler(encoder: encoder, topics: [encoder.topic(index: 0), encoder.topic(index: 2)], topicCount: 3, batch: 2, interval: nil, done: done)
        )
        #expect(try sent(channel) == nil, "nothing is sent before the start")
        channel.pipeline.fireUserInboundEventTriggered(PublishLoopHandler.Start(start: .now(), deadline: .now() + .hours(1)))
        #expect(try sent(channel)?.firstSequence == "1")
        try channel.writeInbound(ByteBuffer(string: Self.ok))
        #expect(try sent(channel)?.firstSequence == "1", "the second topic starts at 1 too")
        try channel.writeInbound(ByteBuffer(string: Self.refused))
        #expect(try sent(channel)?.firstSequence == "3")
        #expect(try sent(channel) == nil, "one request in flight")
        _ = try? channel.finish()
        let outcome = try done.futureResult.wait()
        #expect(outcome.acknowledged == 2 && outcome.requestsAcknowledged == 1 && outcome.failed == 4)
        #expect(outcome.acknowledgedPerTopic == [2, 0, 0])
        #expect(outcome.firstError == "the server answered a publish with 500")
    }

    @Test("nothing is sent at or after the deadline, and the outcome is then complete")
    func deadline() throws {
        let channel = EmbeddedChannel()
        let done = channel.eventLoop.makePromise(of: PublishOutcome.self)
        let encoder = PublishRequestEncoder(server: .nchan, host: "127.0.0.1", port: 1, payloadSize: 80)
        try channel.pipeline.syncOperations.addHandler(
            PublishLoopHandler(encoder: encoder, topics: [encoder.topic(index: 0)], topicCount: 1, batch: 1, interval: nil, done: done)
        )
        channel.pipeline.fireUserInboundEventTriggered(PublishLoopHandler.Start(start: .now(), deadline: .now()))
        #expect(try sent(channel) == nil)
        let outcome = try done.futureResult.wait()
        #expect(outcome.acknowledged == 0 && outcome.failed == 0 && outcome.activeConnections == 1)
    }
}
