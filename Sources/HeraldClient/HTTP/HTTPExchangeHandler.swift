import NIOCore
import NIOHTTP1

/// Sends one request when the channel becomes active and collects the whole response.
///
/// Guarantees: `promise` is completed exactly once: with the response at its end, with
/// ``HeraldClientError/Code/timedOut`` when the response is not complete within `timeout` (counted from the
/// connection), or with ``HeraldClientError/Code/connectionClosed``. The channel is closed in every case.
final class HTTPExchangeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let requestHead: HTTPRequestHead
    private let requestBody: ByteBuffer?
    private let promise: EventLoopPromise<HTTPClientResponse>
    private let timeout: TimeAmount
    private var timer: Scheduled<Void>?
    private var head: HTTPResponseHead?
    private var body = ByteBuffer()
    private var completed = false

    init(requestHead: HTTPRequestHead, requestBody: ByteBuffer?, promise: EventLoopPromise<HTTPClientResponse>, timeout: TimeAmount) {
        self.requestHead = requestHead
        self.requestBody = requestBody
        self.promise = promise
        self.timeout = timeout
    }

    func channelActive(context: ChannelHandlerContext) {
        let timeout = timeout
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            fail(HeraldClientError(.timedOut, "no complete response within \(timeout)"), context: context)
        }
        context.write(wrapOutboundOut(.head(requestHead)), promise: nil)
        if let requestBody {
            context.write(wrapOutboundOut(.body(.byteBuffer(requestBody))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body(var buffer):
            body.writeBuffer(&buffer)
        case .end:
            guard !completed, let head else { return }
            completed = true
            timer?.cancel()
            let headers = head.headers.map { (name: $0.name, value: $0.value) }
            promise.succeed(HTTPClientResponse(status: Int(head.status.code), headers: headers, body: body))
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(HeraldClientError(.connectionClosed, "the server closed the connection before the response was complete"), context: context)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(HeraldClientError(.connectionClosed, "the request failed", underlying: error), context: context)
    }

    private func fail(_ error: HeraldClientError, context: ChannelHandlerContext) {
        timer?.cancel()
        guard !completed else { return }
        completed = true
        promise.fail(error)
        context.close(promise: nil)
    }
}
