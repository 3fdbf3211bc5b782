import NIOCore

/// A gathering publisher (`--feed batch`, Herald only): it carries many generations, gathers their tokens for
/// up to `window` from the first one gathered, and sends what it gathered as one JSON array request; one
/// request in flight, so tokens gathered while one is in flight go with the next, sent on its answer if the
/// window has passed by then.
///
/// Guarantees: every token produced is sent once, in production order (so each generation's in sequence
/// order); a request carries at most `maxBatch` tokens (what stays gathered goes with the next); an answer
/// acknowledges (2xx) or fails every token of its request; after ``end()`` what is gathered
/// is sent at once, and the sink finishes once the last request is answered, or when the connection fails
/// (the request in flight fails, what is gathered is unsent).
final class TokenBatchHandler: ChannelInboundHandler, TokenSink {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let encoder: TokenRequestEncoder
    private let window: TimeAmount
    private let maxBatch: Int
    private let owner: TokenLoop
    private var context: ChannelHandlerContext?
    private var reader = PublishResponseReader()
    private var gathered: [TokenRequestEncoder.Token] = []
    private var inFlight: [TokenRequestEncoder.Token] = []
    private var sentAt = NIODeadline.distantPast
    /// Whether the window of the tokens gathered is still open (a send is scheduled at its end).
    private var windowOpen = false
    private var ended = false
    private var finished = false

    // why: 1,000 is Herald's default --max-batch; a larger array is refused whole with 400, which a publisher
    // that fell behind (gathering during a slow answer) would otherwise send.
    init(encoder: TokenRequestEncoder, window: TimeAmount, maxBatch: Int = 1000, owner: TokenLoop) {
        self.encoder = encoder
        self.window = window
        self.maxBatch = maxBatch
        self.owner = owner
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func begin() {}

    func produce(_ token: TokenRequestEncoder.Token) {
        guard let context, !finished else {
            owner.tally.unsent += 1
            return
        }
        gathered.append(token)
        guard gathered.count == 1 else { return }
        windowOpen = true
        context.eventLoop.assumeIsolated().scheduleTask(in: window) { [self] in
            windowOpen = false
            if inFlight.isEmpty { send() }
        }
    }

    private func send() {
        guard let context, !finished, !gathered.isEmpty else {
            if ended, inFlight.isEmpty { finish() }
            return
        }
        if gathered.count <= maxBatch {
            swap(&gathered, &inFlight)
        } else {
            inFlight.append(contentsOf: gathered.prefix(maxBatch))
            gathered.removeFirst(maxBatch)
        }
        var buffer = context.channel.allocator.buffer(capacity: 64 + inFlight.count * 140)
        encoder.writeBatch(inFlight, into: &buffer)
        let now = BenchPayload.wallClockNanoseconds()
        for token in inFlight {
            owner.tally.wait.record(microseconds: (Int64(bitPattern: now) - Int64(bitPattern: token.timestamp)) / 1000)
        }
        sentAt = .now()
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
        if inFlight.isEmpty, !windowOpen || ended { send() }
    }

    private func answered(_ status: Int) {
        guard !inFlight.isEmpty else { return }
        owner.tally.outcome.latency.record(microseconds: (NIODeadline.now() - sentAt).nanoseconds / 1000)
        if (200..<300).contains(status) {
            owner.tally.outcome.requestsAcknowledged += 1
            owner.tally.outcome.acknowledged += UInt64(inFlight.count)
            for token in inFlight { owner.tally.outcome.acknowledgedPerTopic[token.generation] += 1 }
        } else {
            owner.tally.outcome.fail(UInt64(inFlight.count), because: "the server answered a publish with \(status)")
        }
        inFlight.removeAll(keepingCapacity: true)
    }

    func end() {
        ended = true
        if inFlight.isEmpty { send() }
    }

    func abandon() {
        fail("the drain ended before every batch was answered")
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
        owner.tally.outcome.fail(UInt64(inFlight.count), because: message)
        owner.tally.unsent += UInt64(gathered.count)
        inFlight.removeAll()
        gathered.removeAll()
        finish()
    }

    private func finish() {
        guard !finished else { return }
        finished = true
        owner.sinkFinished()
    }
}
