import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// An application's auth hook for tests: an HTTP/1.1 server on a free loopback port that records every
/// request and answers each with what `answer` returns (after its `delay`, if any).
///
/// Guarantees: ``requests`` holds every request received, in arrival order; ``stop()`` closes the listener
/// and its connections.
package final class HookServer: Sendable {
    package struct Request: Sendable {
        package var method: String
        package var path: String
        /// Header names lowercased.
        package var headers: [(name: String, value: String)]
        package var body: Data

        package func header(_ name: String) -> String? {
            headers.first { $0.name == name.lowercased() }?.value
        }

        /// The body as a JSON object.
        package var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
        }
    }

    package struct Response: Sendable {
        package var status: Int
        package var headers: [(String, String)]
        package var body: String
        /// How long to wait before answering.
        package var delay: Duration?

        package init(status: Int = 200, headers: [(String, String)] = [("content-type", "application/json")], body: String = "", delay: Duration? = nil) {
            self.status = status
            self.headers = headers
            self.body = body
            self.delay = delay
        }

        /// `200` with `json` as the body.
        package static func allow(_ json: String = "{}", headers: [(String, String)] = []) -> Response {
            Response(headers: [("content-type", "application/json")] + headers, body: json)
        }
    }

    package let port: Int
    package var url: String { "http://127.0.0.1:\(port)/auth" }
    private let channel: any Channel
    private let log: RequestLog

    private init(port: Int, channel: any Channel, log: RequestLog) {
        self.port = port
        self.channel = channel
        self.log = log
    }

    /// Every request so far.
    package var requests: [Request] { log.requests.withLock { $0 } }

    /// Starts a hook answering with `answer`.
    package static func start(_ answer: @escaping @Sendable (Request) async -> Response) async throws -> HookServer {
        let log = RequestLog()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 1024)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(log: log, answer: answer))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return HookServer(port: channel.localAddress?.port ?? 0, channel: channel, log: log)
    }

    package func stop() async {
        try? await channel.close()
    }

    private final class RequestLog: Sendable {
        let requests = Mutex<[Request]>([])
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        private let log: RequestLog
        private let answer: @Sendable (Request) async -> Response
        private var head: HTTPRequestHead?
        private var body = ByteBuffer()

        init(log: RequestLog, answer: @escaping @Sendable (Request) async -> Response) {
            self.log = log
            self.answer = answer
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body.clear()
            case .body(var part):
                body.writeBuffer(&part)
            case .end:
                guard let head else { return }
                let request = Request(
                    method: head.method.rawValue, path: head.uri,
                    headers: head.headers.map { (name: $0.name.lowercased(), value: $0.value) }, body: Data(body.readableBytesView)
                )
                log.requests.withLock { $0.append(request) }
                let promise = context.eventLoop.makePromise(of: Response.self)
                let answer = answer
                promise.completeWithTask {
                    let response = await answer(request)
                    if let delay = response.delay { try? await Task.sleep(for: delay) }
                    return response
                }
                let keepAlive = head.isKeepAlive
                promise.futureResult.assumeIsolated().whenSuccess { response in
                    var headers = HTTPHeaders(response.headers)
                    headers.replaceOrAdd(name: "content-length", value: "\(response.body.utf8.count)")
                    context.write(self.wrapOutboundOut(.head(HTTPResponseHead(
                        version: .http1_1, status: HTTPResponseStatus(statusCode: response.status), headers: headers
                    ))), promise: nil)
                    context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: response.body)))), promise: nil)
                    context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
                    if !keepAlive { context.close(promise: nil) }
                }
            }
        }
    }
}
