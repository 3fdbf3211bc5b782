import NIOCore

/// Drives one keep-alive publish connection on its event loop, with no Swift task per request: one request
/// in flight, each carrying `batch` events of the next topic the connection owns.
///
/// Guarantees: the connection's topics get their events in sequence order (one request in flight, topics
/// taken in turn); nothing is sent before ``Start`` arrives (as a user inbound event) or at or after its
/// deadline. Closed loop sends the next request as soon as the previous one is answered; open loop sends
/// request *n* at start + n × `interval`, or on the answer when late. `done` is completed exactly once with
/// the outcome: at the deadline, or when the connection fails (the request in flight counts as failed).
final class PublishLoopHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Begins publishing at `start` until `deadline`.
    struct Start: Sendable {
        var start: NIODeadline
        var deadline: NIODeadline
    }

    private let encoder: PublishRequestEncoder
    private let topics: [PublishRequestEncoder.Topic]
    private let batch: Int
    /// `nil` for closed loop.
    private let interval: TimeAmount?
    private let done: EventLoopPromise<PublishOutcome>
    private var outcome: PublishOutcome
    private var reader = PublishResponseReader()
    private var sequences: [UInt64]
    private var start = NIODeadline.distantFuture
    private var deadline = NIODeadline.uptimeNanoseconds(0)
    private var sent = 0
    private var inFlight: (topic: Int, sentAt: NIODeadline)?
    private var finished = false

    init(
        encoder: PublishRequestEncoder, topics: [PublishRequestEncoder.Topic], topicCount: Int, batch: Int,
        interval: TimeAmount?, done: EventLoopPromise<PublishOutcome>
    ) {
        self.encoder = encoder
        self.topics = topics
        self.batch = batch
        self.interval = interval
        self.done = done
        outcome = PublishOutcome(topics: topicCount)
        outcome.activeConnections = 1
        sequences = Array(repeating: 0, count: topics.count)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let begin = event as? Start else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        start = begin.start
        deadline = begin.deadline
        sendNext(context: context)
    }

    private func sendNext(context: ChannelHandlerContext) {
        guard !finished else { return }
        let now = NIODeadline.now()
        if let interval {
            let due = start + interval * Int64(sent)
            if due > now {
                guard due < deadline else { return finish() }
                context.eventLoop.assumeIsolated().scheduleTask(deadline: due) { [self] in sendNext(context: context) }
                return
            }
            outcome.maxScheduleLagMicroseconds = max(outcome.maxScheduleLagMicroseconds, (now - due).nanoseconds / 1000)
        }
        guard now < deadline else { return finish() }
        let slot = sent % topics.count
        sent += 1
        let topic = topics[slot]
        var buffer = context.channel.allocator.buffer(capacity: 256 + batch * (encoder.payloadSize + 64))
        encoder.writeRequest(
            topic: topic, firstSequence: sequences[slot] + 1, count: batch,
            timestamp: BenchPayload.wallClockNanoseconds(), into: &buffer
        )
        sequences[slot] += UInt64(batch)
        inFlight = (topic.index, now)
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
        if inFlight == nil { sendNext(context: context) }
    }

    private func answered(_ status: Int) {
        guard let request = inFlight else { return }
        inFlight = nil
        outcome.latency.record(microseconds: (NIODeadline.now() - request.sentAt).nanoseconds / 1000)
        if (200..<300).contains(status) {
            outcome.requestsAcknowledged += 1
            outcome.acknowledged += UInt64(batch)
            outcome.acknowledgedPerTopic[request.topic] += UInt64(batch)
        } else {
            outcome.fail(UInt64(batch), because: "the server answered a publish with \(status)")
        }
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
        outcome.fail(inFlight == nil ? 0 : UInt64(batch), because: message)
        inFlight = nil
        finish()
    }

    private func finish() {
        guard !finished else { return }
        finished = true
        done.succeed(outcome)
    }
}
