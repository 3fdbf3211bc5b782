import NIOCore
import NIOHTTP1

/// Closes connections whose client is too slow to send a request (slowloris) or idles between requests:
/// while no request is being answered, the next one must arrive completely within `timeout`. On expiry the
/// client gets `408 request_timeout` and the connection closes.
///
/// The clock runs from the moment the connection opens, and again from the end of each response; it stops
/// when a request is complete, so slow backends never count against the client. Event streams remove this
/// handler: their requests are complete before the stream starts.
final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let timeout: TimeAmount
    private var deadline: Scheduled<Void>?
    /// Requests received completely and not yet answered.
    private var unanswered = 0

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
            if deadline == nil { arm(context) }
        case .body:
            break
        case .end:
            unanswered += 1
            disarm()
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

    private func arm(_ context: ChannelHandlerContext) {
        disarm()
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            deadline = nil
            guard unanswered == 0 else { return }
            let seconds = Double(timeout.nanoseconds) / 1e9
            JSONResponse.write(
                error: EdgeError(.requestTimeout, "no complete request arrived within \(seconds) s; send the request at once, or reconnect"),
                keepAlive: false, context: context
            )
        }
    }

    private func disarm() {
        deadline?.cancel()
        deadline = nil
    }
}
