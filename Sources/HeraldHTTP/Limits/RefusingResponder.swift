import NIOCore
import NIOHTTP1

/// Stands in for the router on a connection refused at accept time (too many connections, in total or from
/// one address): answers its first request and closes. `GET /events` gets the retry stream a browser comes
/// back from (`RetryRefusal`); any other request gets the JSON error with `Retry-After`.
final class RefusingResponder: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart

    private let refusal: EdgeError
    private let app: EdgeApplication
    private var isStream = false

    init(refusal: EdgeError, app: EdgeApplication) {
        self.refusal = refusal
        self.app = app
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            isStream = head.method == .GET && head.uri.split(separator: "?", maxSplits: 1).first == "/events"
        case .body:
            break
        case .end:
            if isStream, RetryRefusal.respondIfTemporary(to: refusal, requestID: nil, app: app, context: context) { return }
            app.capacity.requestsRefused.add(1, ordering: .relaxed)
            ResponseWriter.write(error: refusal, keepAlive: false, context: context)
        }
    }
}
