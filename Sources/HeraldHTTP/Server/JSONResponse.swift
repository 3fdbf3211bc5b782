import NIOCore
import NIOHTTP1

/// Writes a complete JSON response (head, body, end) through the HTTP encoder; the one way the edge answers
/// requests other than event streams.
enum JSONResponse {
    /// Writes `json` with `status` and `headers`; without `keepAlive`, adds `connection: close` and closes the
    /// connection once the response is written. `contentType` is for the one text response, `/metrics`.
    static func write(
        _ json: String,
        status: HTTPResponseStatus,
        contentType: String = "application/json",
        headers extraHeaders: [(String, String)] = [],
        keepAlive: Bool,
        context: ChannelHandlerContext
    ) {
        guard context.channel.isActive else { return }
        var body = context.channel.allocator.buffer(capacity: json.utf8.count + 1)
        body.writeString(json)
        if !json.hasSuffix("\n") { body.writeStaticString("\n") }
        var headers = HTTPHeaders([("content-type", contentType), ("content-length", "\(body.readableBytes)")])
        headers.add(contentsOf: extraHeaders)
        if !keepAlive { headers.add(name: "connection", value: "close") }
        context.write(NIOAny(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(body))), promise: nil)
        guard !keepAlive else { return context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)), promise: nil) }
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)), promise: written)
        written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    /// Writes the JSON error response for `error` (see `HTTPErrorResponse`).
    static func write(error: any Error, keepAlive: Bool, context: ChannelHandlerContext) {
        let response = HTTPErrorResponse(error)
        write(response.body, status: response.status, headers: response.headers, keepAlive: keepAlive, context: context)
    }
}
