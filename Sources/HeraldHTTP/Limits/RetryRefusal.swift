import HeraldCore
import NIOCore
import NIOHTTP1

/// A temporary refusal of `GET /events` in the one form a browser comes back from: `200`,
/// `Content-Type: text/event-stream`, a `RetryNotice` (a jittered `retry:` and the `herald.unavailable`
/// event with the reason), then the connection closes.
///
/// why not `503`: an `EventSource` that gets any status but 200 fails the connection for good (WHATWG HTML,
/// server-sent events: "fail the connection"); one whose stream ends reconnects by itself after `retry:`,
/// through the load balancer, maybe to another node, with its `Last-Event-ID`.
///
/// Which refusals are temporary is decided with the HTTP status in `HTTPErrorResponse` (`isTemporary`);
/// permanent ones (400, 401, 403, 404) stay JSON errors, since retrying cannot help.
enum RetryRefusal {
    /// The notice for `error` when it is temporary, with a delay from `backoff`; nil for a permanent error.
    /// why: the error's own `Retry-After` (whole seconds, the same for every client) is not used: a floor
    /// would erase the jitter that keeps refused browsers from coming back together.
    static func notice(for error: any Error, backoff: RefusalBackoff) -> RetryNotice? {
        let response = HTTPErrorResponse(error)
        guard response.isTemporary else { return nil }
        return RetryNotice(code: response.code, message: response.message, retryAfterMilliseconds: backoff.nextDelayMilliseconds())
    }

    /// Writes the complete response for `notice` through the HTTP encoder (so that CORS headers are added)
    /// and closes the connection once it is written.
    static func write(_ notice: RetryNotice, requestID: String? = nil, context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        let body = notice.bytes
        var headers = HTTPHeaders([
            ("content-type", "text/event-stream"),
            ("cache-control", "no-cache"),
            ("x-accel-buffering", "no"),
            ("content-length", "\(body.readableBytes)"),
            ("connection", "close"),
        ])
        if let requestID { headers.add(name: RequestID.headerName, value: requestID) }
        let head = HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)
        context.write(NIOAny(HTTPServerResponsePart.head(head)), promise: nil)
        context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(body))), promise: nil)
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)), promise: written)
        written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    /// Answers a refused `GET /events` with the retry stream (counted in `app.capacity`) when the refusal is
    /// temporary, and returns true; returns false, writing nothing, for a permanent one.
    static func respondIfTemporary(to error: any Error, requestID: String?, app: EdgeApplication, context: ChannelHandlerContext) -> Bool {
        guard let notice = notice(for: error, backoff: app.refusalBackoff) else { return false }
        app.capacity.streamsRefused.add(1, ordering: .relaxed)
        write(notice, requestID: requestID, context: context)
        return true
    }
}
