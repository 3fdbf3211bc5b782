import NIOCore
import NIOHTTP1
import NIOPosix

/// A tiny HTTP server on 127.0.0.1, port 0, for the client tests.
///
/// Routes: `POST /echo` answers 200 with the request body and `x-method`; `GET /events` sends `script` as
/// separately flushed chunks of a chunked `text/event-stream` response, then ends it; `GET /open` sends the
/// first chunk of `script` and keeps the stream open, echoing `Last-Event-ID` as `x-last-event-id`;
/// `GET /close-delimited` answers HTTP/1.0 with `script` and closes; `GET /silent` never answers.
/// Every connection the server sees closing is reported on `closedConnections`.
final class TestHTTPServer: Sendable {
    static let script = [": hello\n\nretry: 2000\n\n", "id: 1\nevent: order.updated\ndata: {\"a\":1}\n\n", "data: line1\ndata: line2\nid: 2\n\n"]

    let port: Int
    let closedConnections: AsyncStream<Void>
    private let channel: any Channel

    private init(port: Int, channel: any Channel, closedConnections: AsyncStream<Void>) {
        self.port = port
        self.channel = channel
        self.closedConnections = closedConnections
    }

    static func start() async throws -> TestHTTPServer {
        let (closed, continuation) = AsyncStream.makeStream(of: Void.self)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.configureHTTPServerPipeline()
                    try child.pipeline.syncOperations.addHandler(RouteHandler(closed: continuation))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return TestHTTPServer(port: channel.localAddress!.port!, channel: channel, closedConnections: closed)
    }

    /// Starts a server, runs `body` with it and shuts it down, whether `body` returns or throws.
    @discardableResult
    static func withServer<T>(_ body: (TestHTTPServer) async throws -> T) async throws -> T {
        let server = try await start()
        do {
            let result = try await body(server)
            await server.shutdown()
            return result
        } catch {
            await server.shutdown()
            throw error
        }
    }

    func shutdown() async {
        try? await channel.close()
    }

    /// Waits until the server has seen `count` connections close, or fails after `timeout`.
    func waitForClosedConnections(_ count: Int = 1, timeout: Duration = .seconds(5)) async throws {
        let closed = closedConnections
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                var seen = 0
                for await _ in closed {
                    seen += 1
                    if seen == count { return }
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw TimedOut()
            }
            try await group.next()
            group.cancelAll()
        }
    }

    struct TimedOut: Error {}
}

private final class RouteHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let closed: AsyncStream<Void>.Continuation
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()

    init(closed: AsyncStream<Void>.Continuation) {
        self.closed = closed
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body(var part): body.writeBuffer(&part)
        case .end: if let head { respond(to: head, context: context) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed.yield()
        context.fireChannelInactive()
    }

    private func respond(to request: HTTPRequestHead, context: ChannelHandlerContext) {
        var headers = HTTPHeaders([("content-type", "text/event-stream")])
        switch (request.method, request.uri) {
        case (.POST, "/echo"):
            let response = HTTPHeaders([("content-type", "application/json"), ("x-method", "POST"), ("content-length", "\(body.readableBytes)")])
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: response))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        case (.GET, "/events"):
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            for chunk in TestHTTPServer.script {
                context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: chunk)))), promise: nil)
            }
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        case (.GET, "/open"):
            headers.add(name: "x-last-event-id", value: request.headers.first(name: "last-event-id") ?? "")
            headers.add(name: "x-accept", value: request.headers.first(name: "accept") ?? "")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "data: hello\n\n")))), promise: nil)
        case (.GET, "/close-delimited"):
            headers.add(name: "connection", value: "close")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_0, status: .ok, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: TestHTTPServer.script.joined())))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            context.close(promise: nil)
        case (.GET, "/silent"):
            break
        default:
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .notFound, headers: ["content-length": "0"]))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}
