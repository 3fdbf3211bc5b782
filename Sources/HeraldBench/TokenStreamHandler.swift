import NIOCore

/// The publisher of one generation fed by a streaming request (`--feed stream`, Herald only): the request
/// head is written at the start, each token as one chunk of one NDJSON line as soon as it is produced, and
/// the last chunk at the deadline; the answer comes when the body ended.
///
/// Guarantees: the generation's tokens are written in sequence order, each once, each flushed at once; a 2xx
/// answer after the body ended acknowledges every token written (the server stored each line as it came);
/// any other answer, an answer before the end, or a failed connection fails them all (the JSON error does
/// not say which lines were stored), and tokens produced after that are unsent.
final class TokenStreamHandler: ChannelInboundHandler, TokenSink {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let encoder: TokenRequestEncoder
    private let generation: Int
    private let owner: TokenLoop
    private var context: ChannelHandlerContext?
    private var reader = PublishResponseReader()
    private var written: UInt64 = 0
    private var endedAt: NIODeadline?
    private var finished = false

    init(encoder: TokenRequestEncoder, generation: Int, owner: TokenLoop) {
        self.encoder = encoder
        self.generation = generation
        self.owner = owner
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func begin() {
        guard let context, !finished else { return }
        var buffer = context.channel.allocator.buffer(capacity: 192)
        encoder.writeStreamHead(generation: generation, into: &buffer)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    func produce(_ token: TokenRequestEncoder.Token) {
        guard let context, !finished, endedAt == nil else {
            owner.tally.unsent += 1
            return
        }
        var buffer = context.channel.allocator.buffer(capacity: 128)
        encoder.writeStreamLine(token, into: &buffer)
        owner.tally.wait.record(microseconds: (Int64(bitPattern: BenchPayload.wallClockNanoseconds()) - Int64(bitPattern: token.timestamp)) / 1000)
        written += 1
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    func end() {
        guard let context, !finished, endedAt == nil else { return }
        var buffer = context.channel.allocator.buffer(capacity: 8)
        encoder.writeStreamEnd(into: &buffer)
        endedAt = .now()
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        do {
            try buffer.withUnsafeReadableBytes { bytes in
                try reader.read(bytes) { status in answered(status) }
            }
        } catch {
            fail("the streaming request got an unusable response: \(error)")
            context.close(promise: nil)
        }
    }

    private func answered(_ status: Int) {
        guard !finished else { return }
        guard let endedAt, (200..<300).contains(status) else {
            fail(endedAt == nil ? "the server answered a streaming request with \(status) before its end" : "the server answered a streaming request with \(status)")
            context?.close(promise: nil)
            return
        }
        owner.tally.outcome.latency.record(microseconds: (NIODeadline.now() - endedAt).nanoseconds / 1000)
        owner.tally.outcome.requestsAcknowledged += 1
        owner.tally.outcome.acknowledged += written
        owner.tally.outcome.acknowledgedPerTopic[generation] += written
        finish()
    }

    func abandon() {
        fail("the drain ended before the streaming request was answered")
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail("the streaming request's connection closed")
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail("the streaming request failed: \(error)")
        context.close(promise: nil)
    }

    private func fail(_ message: String) {
        guard !finished else { return }
        owner.tally.outcome.fail(written, because: message)
        finish()
    }

    private func finish() {
        guard !finished else { return }
        finished = true
        owner.sinkFinished()
    }
}
