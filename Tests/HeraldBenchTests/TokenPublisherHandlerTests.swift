import NIOCore
import NIOEmbedded
import Testing
@testable import HeraldBench

@Suite("The token publishers: one request per token, streaming requests, gathered batches")
struct TokenPublisherHandlerTests {
    private static let ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"
    private static let refused = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"

    private struct Rig {
        let channel = EmbeddedChannel()
        let done: EventLoopPromise<TokenTally>
        let owner: TokenLoop
        let encoder = TokenRequestEncoder(server: .herald, host: "127.0.0.1", port: 1, topicPrefix: "gen")

        init(generations: [Int], total: Int) {
            done = channel.eventLoop.makePromise(of: TokenTally.self)
            owner = TokenLoop(generations: generations, total: total, period: 25_000_000, done: done)
        }

        func add(_ sink: any TokenSink & ChannelHandler, generations: [Int]) throws {
            try channel.pipeline.syncOperations.addHandler(sink)
            owner.register(sink, generations: generations)
        }

        /// The text of every write since the last call.
        func written() throws -> [String] {
            var out: [String] = []
            while let buffer = try channel.readOutbound(as: ByteBuffer.self) { out.append(String(buffer: buffer)) }
            return out
        }

        /// Completes the loop's promise (a test ends before the schedule would) and closes the channel.
        func close() {
            owner.cancel(CancellationError())
            _ = try? channel.finish()
        }

        func token(_ generation: Int, _ sequence: UInt64) -> TokenRequestEncoder.Token {
            .init(generation: generation, sequence: sequence, timestamp: 1)
        }
    }

    /// The `seq` values of a written request or chunk, in order.
    private func sequences(_ text: String) -> [Int] {
        text.components(separatedBy: #"\"seq\":"#).dropFirst().compactMap { Int($0.prefix { $0.isNumber }) }
    }

    @Test("one request per token: tokens produced during a request wait for its answer and go in order")
    func requestPerToken() throws {
        let rig = Rig(generations: [0], total: 1)
        let handler = TokenRequestHandler(encoder: rig.encoder, owner: rig.owner)
        try rig.add(handler, generations: [0])
        handler.produce(rig.token(0, 1))
        handler.produce(rig.token(0, 2))
        handler.produce(rig.token(0, 3))
        #expect(try rig.written().map(sequences) == [[1]])
        try rig.channel.writeInbound(ByteBuffer(string: Self.ok))
        #expect(try rig.written().map(sequences) == [[2]])
        try rig.channel.writeInbound(ByteBuffer(string: Self.refused))
        handler.end()
        #expect(try rig.written().map(sequences) == [[3]], "a queued token is still sent after the end")
        try rig.channel.writeInbound(ByteBuffer(string: Self.ok))
        let tally = rig.owner.tally
        #expect(tally.outcome.acknowledged == 2 && tally.outcome.failed == 1 && tally.outcome.acknowledgedPerTopic == [2])
        #expect(tally.outcome.firstError == "the server answered a publish with 503")
        rig.close()
    }

    @Test("a streaming request writes its head at the start, one chunk per token at once, and is acknowledged whole by the answer after its end")
    func stream() throws {
        let rig = Rig(generations: [0, 1], total: 2)
        let handler = TokenStreamHandler(encoder: rig.encoder, generation: 1, owner: rig.owner)
        try rig.add(handler, generations: [1])
        handler.begin()
        #expect(try rig.written().first?.hasPrefix("POST /publish?topic=gen-1 HTTP/1.1\r\n") == true)
        handler.produce(rig.token(1, 1))
        handler.produce(rig.token(1, 2))
        #expect(try rig.written().map(sequences) == [[1], [2]])
        handler.end()
        #expect(try rig.written() == ["0\r\n\r\n"])
        try rig.channel.writeInbound(ByteBuffer(string: #"HTTP/1.1 200 OK\#r\#nContent-Length: 24\#r\#n\#r\#n{"count":2,"lastId":"x"}"#))
        #expect(rig.owner.tally.outcome.acknowledgedPerTopic == [0, 2] && rig.owner.tally.outcome.requestsAcknowledged == 1)
        rig.close()
    }

    @Test("a streaming request answered before its end fails every token written, and later tokens are unsent")
    func streamRefused() throws {
        let rig = Rig(generations: [0], total: 1)
        let handler = TokenStreamHandler(encoder: rig.encoder, generation: 0, owner: rig.owner)
        try rig.add(handler, generations: [0])
        handler.begin()
        handler.produce(rig.token(0, 1))
        try rig.channel.writeInbound(ByteBuffer(string: "HTTP/1.1 415 Unsupported Media Type\r\nContent-Length: 0\r\n\r\n"))
        handler.produce(rig.token(0, 2))
        let tally = rig.owner.tally
        #expect(tally.outcome.failed == 1 && tally.unsent == 1 && tally.outcome.acknowledged == 0)
        #expect(tally.outcome.firstError == "the server answered a streaming request with 415 before its end")
        rig.close()
    }

    @Test("a gathering publisher sends what a window gathered as one batch, and what came during a request with the next")
    func batch() throws {
        let rig = Rig(generations: [0, 1, 2], total: 3)
        let handler = TokenBatchHandler(encoder: rig.encoder, window: .milliseconds(5), owner: rig.owner)
        try rig.add(handler, generations: [0, 1, 2])
        handler.produce(rig.token(0, 1))
        rig.channel.embeddedEventLoop.advanceTime(by: .milliseconds(2))
        handler.produce(rig.token(1, 1))
        #expect(try rig.written().isEmpty, "the window is still open")
        rig.channel.embeddedEventLoop.advanceTime(by: .milliseconds(3))
        #expect(try rig.written().map(sequences) == [[1, 1]])
        handler.produce(rig.token(2, 1))
        handler.produce(rig.token(0, 2))
        rig.channel.embeddedEventLoop.advanceTime(by: .milliseconds(10))
        #expect(try rig.written().isEmpty, "one request in flight")
        try rig.channel.writeInbound(ByteBuffer(string: Self.ok))
        let next = try rig.written()
        #expect(next.map(sequences) == [[1, 2]])
        #expect(next.first?.contains(#"[{"topic":"gen-2""#) == true)
        handler.produce(rig.token(1, 2))
        handler.end()
        #expect(try rig.written().isEmpty, "the end waits for the answer in flight")
        try rig.channel.writeInbound(ByteBuffer(string: Self.ok))
        #expect(try rig.written().map(sequences) == [[2]], "what was gathered goes at the end without waiting for its window")
        try rig.channel.writeInbound(ByteBuffer(string: Self.ok))
        let tally = rig.owner.tally
        #expect(tally.outcome.acknowledgedPerTopic == [2, 2, 1] && tally.outcome.requestsAcknowledged == 3)
        rig.close()
    }

    @Test("a gathering publisher that fell behind sends at most its largest batch a request, the rest with the next")
    func batchBound() throws {
        let rig = Rig(generations: [0], total: 1)
        let handler = TokenBatchHandler(encoder: rig.encoder, window: .milliseconds(5), maxBatch: 2, owner: rig.owner)
        try rig.add(handler, generations: [0])
        for sequence in 1...5 as ClosedRange<UInt64> { handler.produce(rig.token(0, sequence)) }
        rig.channel.embeddedEventLoop.advanceTime(by: .milliseconds(5))
        #expect(try rig.written().map(sequences) == [[1, 2]])
        try rig.channel.writeInbound(ByteBuffer(string: Self.ok))
        #expect(try rig.written().map(sequences) == [[3, 4]], "what stayed gathered has waited its window already")
        try rig.channel.writeInbound(ByteBuffer(string: Self.ok))
        #expect(try rig.written().map(sequences) == [[5]])
        rig.close()
    }
}
