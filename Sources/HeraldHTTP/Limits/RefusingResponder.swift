import NIOCore
import NIOHTTP1

/// Stands in for the router on a connection refused at accept time (too many connections, in total or from
/// one address): answers its first request and closes (over HTTP/2, the stream and then the connection). `GET /events` gets the retry stream a browser comes
/// back from (`RetryRefusal`); any other request gets the JSON error with `Retry-After`.
final class RefusingResponder: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart

    private let refusal: EdgeError
    private let app: EdgeApplication
    /// HTTP/2: the refused connection closes once the stream's answer is out, as an HTTP/1.1 one does.
    /// why: it is not counted against the limits; left open it would hold a descriptor until it idled out.
    private let closesConnection: Bool
    private var isStream = false

    init(refusal: EdgeError, app: EdgeApplication, closesConnection: Bool = false) {
        self.refusal = refusal
        self.app = app
        self.closesConnection = closesConnection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            isStream = head.method == .GET && head.uri.split(separator: "?", maxSplits: 1).first == "/events"
        case .body:
            break
        case .end:
            if closesConnection, let connection = context.channel.parent {
                context.channel.closeFuture.whenComplete { _ in connection.close(promise: nil) }
            }
            if isStream, RetryRefusal.respondIfTemporary(to: refusal, requestID: nil, app: app, context: context) { return }
            app.capacity.requestsRefused.add(1, ordering: .relaxed)
            ResponseWriter.write(error: refusal, keepAlive: false, context: context)
        }
    }
}
