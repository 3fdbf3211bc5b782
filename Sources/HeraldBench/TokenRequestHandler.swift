import NIOCore

/// The publisher of one generation fed one request per token (`--feed request`, Herald or nchan): a
/// keep-alive connection with one request in flight; a token produced while one is in flight waits for its
/// answer, in order.
///
/// Guarantees: the generation's tokens are written in sequence order, each once; each answer acknowledges
/// (2xx) or fails its token; after ``end()`` the queued tokens are still sent, and the sink finishes once the
/// last is answered, or when the connection fails (the token in flight fails, the queued ones are unsent).
final class TokenRequestHandler: ChannelInboundHandler, TokenSink {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let encoder: TokenRequestEncoder
    private let owner: TokenLoop
    private var context: ChannelHandlerContext?
    private var reader = PublishResponseReader()
    private var queue: [TokenRequestEncoder.Token] = []
    private var queueHead = 0
    private var inFlight: (token: TokenRequestEncoder.Token, sentAt: NIODeadline)?
    private var ended = false
    private var finished = false

    init(encoder: TokenRequestEncoder, owner: TokenLoop) {
        self.encoder = encoder
        self.owner = owner
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func begin() {}

    func produce(_ token: TokenRequestEncoder.Token) {
        guard !finished else {
            owner.tally.unsent += 1
            return
        }
        queue.append(token)
        if inFlight == nil { sendNext() }
    }

    private func sendNext() {
        guard let context, queueHead < queue.count else {
            if ended, inFlight == nil { finish() }
            return
        }
        let token = queue[queueHead]
        queueHead += 1
        if queueHead == queue.count {
            queue.removeAll(keepingCapacity: true)
            queueHead = 0
        }
        var buffer = context.channel.allocator.buffer(capacity: 320)
        encoder.writeRequest(token, into: &buffer)
        owner.tally.wait.record(microseconds: (Int64(bitPattern: BenchPayload.wallClockNanoseconds()) - Int64(bitPattern: token.timestamp)) / 1000)
        inFlight = (token, .now())
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        do {
            try buffer.withUnsafeReadableBytes { bytes in
                try reader.read(bytes) { status in answered(status) }
            }
        } catch {
            fail("the publish connection got an unusable response: \(error)")
            context.close(promise: nil)
            return
        }
        if inFlight == nil, !finished { sendNext() }
    }

    private func answered(_ status: Int) {
        guard let request = inFlight else { return }
        inFlight = nil
        owner.tally.outcome.latency.record(microseconds: (NIODeadline.now() - request.sentAt).nanoseconds / 1000)
        if (200..<300).contains(status) {
            owner.tally.outcome.requestsAcknowledged += 1
            owner.tally.outcome.acknowledged += 1
            owner.tally.outcome.acknowledgedPerTopic[request.token.generation] += 1
        } else {
            owner.tally.outcome.fail(1, because: "the server answered a publish with \(status)")
        }
    }

    func end() {
        ended = true
        if inFlight == nil, queueHead == queue.count { finish() }
    }

    func abandon() {
        fail("the drain ended before every token was answered")
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail("the publish connection closed")
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail("the publish connection failed: \(error)")
        context.close(promise: nil)
    }

    private func fail(_ message: String) {
        guard !finished else { return }
        owner.tally.outcome.fail(inFlight == nil ? 0 : 1, because: message)
        inFlight = nil
        owner.tally.unsent += UInt64(queue.count - queueHead)
        queue.removeAll()
        queueHead = 0
        finish()
    }

    private func finish() {
        guard !finished else { return }
        finished = true
        owner.sinkFinished()
    }
}
