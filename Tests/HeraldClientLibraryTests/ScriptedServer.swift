import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// An HTTP server on 127.0.0.1 (port 0) that answers the n-th request with `script(n, request)`, and records
/// every request, for the client library's tests of retries and reconnections.
final class ScriptedServer: Sendable {
    struct Request: Sendable {
        var method: HTTPMethod
        var uri: String
        var headers: HTTPHeaders
        var body: String
    }

    enum Reply: Sendable {
        /// A complete response.
        case respond(status: Int, headers: [(String, String)] = [], body: String = "")
        /// A `text/event-stream` response of `chunks`; then the connection closes, or stays open when `hold`.
        case stream([String], hold: Bool = false)
    }

    let port: Int
    private let channel: any Channel
    private let requests = Mutex<[Request]>([])

    private init(port: Int, channel: any Channel) {
        self.port = port
        self.channel = channel
    }

    var url: String { "http://127.0.0.1:\(port)" }

    /// The requests received so far, in order.
    var received: [Request] { requests.withLock { $0 } }

    /// Starts a server, runs `body` with it, and stops it.
    static func with<T>(_ script: @escaping @Sendable (Int, Request) -> Reply, _ body: (ScriptedServer) async throws -> T) async throws -> T {
        let recorder = Recorder(script: script)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.configureHTTPServerPipeline()
                    try child.pipeline.syncOperations.addHandler(ScriptHandler(recorder: recorder))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        let server = ScriptedServer(port: channel.localAddress!.port!, channel: channel)
        recorder.server.withLock { $0 = server }
        defer { channel.close(promise: nil) }
        return try await body(server)
    }

    fileprivate func record(_ request: Request) -> Int {
        requests.withLock { requests in
            requests.append(request)
            return requests.count - 1
        }
    }

    /// Hands requests to the script; knows the server once it exists.
    fileprivate final class Recorder: Sendable {
        let script: @Sendable (Int, Request) -> Reply
        let server = Mutex<ScriptedServer?>(nil)

        init(script: @escaping @Sendable (Int, Request) -> Reply) {
            self.script = script
        }

        func reply(to request: Request) -> Reply {
            let index = server.withLock { $0 }?.record(request) ?? 0
            return script(index, request)
        }
    }

    private final class ScriptHandler: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let recorder: Recorder
        var head: HTTPRequestHead?
        var body = ""

        init(recorder: Recorder) {
            self.recorder = recorder
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body = ""
            case .body(let buffer):
                body += String(buffer: buffer)
            case .end:
                guard let head else { return }
                let reply = recorder.reply(to: Request(method: head.method, uri: head.uri, headers: head.headers, body: body))
                write(reply, context: context)
            }
        }

        private func write(_ reply: Reply, context: ChannelHandlerContext) {
            switch reply {
            case .respond(let status, let headers, let body):
                var fields = HTTPHeaders(headers)
                fields.replaceOrAdd(name: "content-length", value: "\(body.utf8.count)")
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: status), headers: fields))), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            case .stream(let chunks, let hold):
                let headers = HTTPHeaders([("content-type", "text/event-stream"), ("transfer-encoding", "chunked")])
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
                for chunk in chunks { context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: chunk)))), promise: nil) }
                context.flush()
                if !hold { context.close(promise: nil) }
            }
        }
    }
}
