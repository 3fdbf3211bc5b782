import NIOCore
import NIOHTTP1

/// Writes a complete response (head, body, end) through the HTTP encoder; the one way the edge answers
/// requests other than event streams.
enum ResponseWriter {
    /// Writes `response`; without `keepAlive`, adds `connection: close` and closes the connection once the
    /// response is written. A JSON body gets a final newline. Returns the bytes of the body.
    @discardableResult
    static func write(_ response: EndpointResponse, keepAlive: Bool, context: ChannelHandlerContext) -> Int {
        guard context.channel.isActive else { return 0 }
        let isJSON = response.contentType == "application/json"
        var body = context.channel.allocator.buffer(capacity: response.body.utf8.count + 1)
        body.writeString(response.body)
        if isJSON { body.writeStaticString("\n") }
        var headers = HTTPHeaders([("content-type", response.contentType), ("content-length", "\(body.readableBytes)")])
        headers.add(contentsOf: response.headers)
        if !keepAlive { headers.add(name: "connection", value: "close") }
        let byteCount = body.readableBytes
        context.write(NIOAny(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: response.status, headers: headers))), promise: nil)
        context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(body))), promise: nil)
        guard !keepAlive else {
            context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)), promise: nil)
            return byteCount
        }
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)), promise: written)
        written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        return byteCount
    }

    /// Writes the JSON error response for `error` (see `HTTPErrorResponse`), with `headers` added.
    @discardableResult
    static func write(error: any Error, headers: [(String, String)] = [], keepAlive: Bool, context: ChannelHandlerContext) -> Int {
        write(HTTPErrorResponse(error).response(adding: headers), keepAlive: keepAlive, context: context)
    }
}
