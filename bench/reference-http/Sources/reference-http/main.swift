import NIOCore
import NIOHTTP1
import NIOPosix

/// Answers every request, once its body has arrived, with the same 47-byte JSON body Herald's single publish
/// answers with (`{"id":"<30-character cursor>"}` and a newline), keep-alive.
final class ConstantResponder: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private var keepAlive = true
    private let body: ByteBuffer
    private let headers: HTTPHeaders

    init(body: ByteBuffer) {
        self.body = body
        self.headers = ["content-type": "application/json", "content-length": "\(body.readableBytes)"]
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            keepAlive = head.isKeepAlive
        case .body:
            break
        case .end:
            var headers = self.headers
            if !keepAlive { headers.add(name: "connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            if !keepAlive { context.close(promise: nil) }
        }
    }
}

let arguments = CommandLine.arguments
let port = arguments.count > 1 ? Int(arguments[1]) ?? 8090 : 8090
let threads = arguments.count > 2 ? Int(arguments[2]) ?? System.coreCount : System.coreCount
let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
let reply = ByteBuffer(string: "{\"id\":\"AgGmI5n2T2lh38uLx7oK-5Gtlq8zAQ\"}\n")
let server = try ServerBootstrap(group: group)
    .serverChannelOption(.backlog, value: 1024)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.configureHTTPServerPipeline()
            try channel.pipeline.syncOperations.addHandler(ConstantResponder(body: reply))
        }
    }
    .bind(host: "127.0.0.1", port: port)
    .wait()
print("listening on \(server.localAddress!)")
try server.closeFuture.wait()
