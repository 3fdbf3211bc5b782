import NIOCore
import NIOHTTP1

/// Stands in for the router on a connection refused at accept time (too many connections): answers its
/// first request with `refusal` and closes.
final class RefusingResponder: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart

    private let refusal: EdgeError

    init(refusal: EdgeError) {
        self.refusal = refusal
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = unwrapInboundIn(data) else { return }
        JSONResponse.write(error: refusal, keepAlive: false, context: context)
    }
}
