import NIOCore
import NIOHTTP1

/// One `POST /publish` handed to a publisher connection: the request and where its status goes.
struct PublishClientRequest: Sendable {
    var head: HTTPRequestHead
    var body: ByteBuffer
    /// Completed with the response status code once the whole response has arrived.
    var response: EventLoopPromise<UInt>
}

/// Turns ``PublishClientRequest``s into HTTP/1.1 requests on a keep-alive connection and completes
/// each one's promise, in order, when its response ends.
///
/// Guarantees: responses are matched to requests first-in first-out (HTTP/1.1 has no other order);
/// every promise is completed exactly once, failed when the connection closes or errs first. The body
/// of a response is read and dropped: the benchmark needs only the status.
final class PublishClientHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = PublishClientRequest
    typealias OutboundOut = HTTPClientRequestPart

    private var pending = CircularBuffer<EventLoopPromise<UInt>>()
    private var status: UInt?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        pending.append(request.response)
        context.write(wrapOutboundOut(.head(request.head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(request.body))), promise: nil)
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = head.status.code
        case .body:
            break
        case .end:
            guard let waiting = pending.popFirst() else { return }
            waiting.succeed(status ?? 0)
            status = nil
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(BenchError("the publish connection closed"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(BenchError("the publish connection failed: \(error)"))
        context.close(promise: nil)
    }

    private func failAll(_ error: BenchError) {
        while let waiting = pending.popFirst() { waiting.fail(error) }
    }
}
