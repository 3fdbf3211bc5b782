import NIOCore
import NIOHTTP1

/// Closes connections whose client is too slow to send a request (slowloris) or idles between requests:
/// while no request is being answered, the next one must arrive completely within `timeout`. On expiry the
/// client gets `408 request_timeout` and the connection closes.
///
/// The clock runs from the moment the connection opens, and again from the end of each response; it stops
/// when a request is complete, so slow backends never count against the client. Event streams remove this
/// handler: their requests are complete before the stream starts. A request whose body is read as it arrives
/// (a streaming publish) stops the clock at its head by sending `BodyStreamed`, and keeps a clock of its own.
final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    /// Sent (outbound) by the handler answering a request whose body it reads as it comes: the clock stops
    /// now, as if the request were complete, and starts again after its response.
    struct BodyStreamed {}

    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let timeout: TimeAmount
    /// When the request being waited for must be complete; nil while a request is being answered.
    private var expiry: NIODeadline?
    /// The one timer of the connection. It is not moved for every request: when it fires before `expiry`
    /// (the clock was restarted meanwhile), it is set again for the rest of the time.
    private var timer: Scheduled<Void>?
    /// Requests received completely and not yet answered.
    private var unanswered = 0
    /// Whether the request being received was counted already (`BodyStreamed`), so its end is not.
    private var streamedRequestCounted = false

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        disarm()
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            if expiry == nil { arm(context) }
        case .body:
            break
        case .end:
            if streamedRequestCounted {
                streamedRequestCounted = false
            } else {
                unanswered += 1
            }
            expiry = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            unanswered = max(unanswered - 1, 0)
            if unanswered == 0 { arm(context) }
        }
        context.write(data, promise: promise)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard event is BodyStreamed else { return context.triggerUserOutboundEvent(event, promise: promise) }
        unanswered += 1
        streamedRequestCounted = true
        expiry = nil
        promise?.succeed()
    }

    /// Starts the clock: the next request must be complete within `timeout` from now.
    private func arm(_ context: ChannelHandlerContext) {
        let expiry = NIODeadline.now() + timeout
        self.expiry = expiry
        if timer == nil { schedule(at: expiry, context) }
    }

    private func schedule(at time: NIODeadline, _ context: ChannelHandlerContext) {
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: time) { [self] in
            timer = nil
            guard let expiry, unanswered == 0 else { return }
            guard expiry <= .now() else { return schedule(at: expiry, context) }
            self.expiry = nil
            let seconds = Double(timeout.nanoseconds) / 1e9
            ResponseWriter.write(
                error: EdgeError(.requestTimeout, "no complete request arrived within \(seconds) s; send the request at once, or reconnect"),
                keepAlive: false, context: context
            )
        }
    }

    private func disarm() {
        timer?.cancel()
        timer = nil
        expiry = nil
    }
}
