import NIOCore
import NIOHTTP1

/// Applies the `CORSPolicy` to plain HTTP responses: answers preflights itself and adds the CORS headers
/// to every response for an allowed origin. (Event streams get the same headers from `EventsEndpoint`.)
final class CORSHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let policy: CORSPolicy
    /// The origin of the request being answered.
    private var origin: String?
    /// True while the parts of an answered preflight are dropped.
    private var swallowing = false

    init(policy: CORSPolicy) {
        self.policy = policy
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            origin = head.headers.first(name: "origin")
            if head.method == .OPTIONS, let origin, let method = head.headers.first(name: "access-control-request-method") {
                swallowing = true
                let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? "/"
                switch policy.preflight(origin: origin, method: method, path: path) {
                case .success(let headers):
                    writeNoContent(headers: headers, keepAlive: head.isKeepAlive, context: context)
                case .failure(let error):
                    ResponseWriter.write(error: error, keepAlive: head.isKeepAlive, context: context)
                }
                return
            }
            context.fireChannelRead(data)
        case .body:
            if !swallowing { context.fireChannelRead(data) }
        case .end:
            if swallowing { swallowing = false } else { context.fireChannelRead(data) }
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .head(var head) = unwrapOutboundIn(data) else {
            context.write(data, promise: promise)
            return
        }
        head.headers.add(contentsOf: policy.responseHeaders(origin: origin))
        context.write(wrapOutboundOut(.head(head)), promise: promise)
    }

    private func writeNoContent(headers: [(String, String)], keepAlive: Bool, context: ChannelHandlerContext) {
        var fields = HTTPHeaders(headers)
        fields.add(name: "content-length", value: "0")
        if !keepAlive { fields.add(name: "connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .noContent, headers: fields))), promise: nil)
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
        if !keepAlive { written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) } }
    }
}
