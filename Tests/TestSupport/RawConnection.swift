import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import Synchronization

/// A bare TCP connection for tests that send what no HTTP client would: partial requests, a byte at a time,
/// garbage. It records every byte the server sends until the server closes.
package final class RawConnection: Sendable {
    private let channel: any Channel
    private let collector: Collector

    /// Connects to 127.0.0.1:`port`. With `reading: false` the client never reads from its socket, as a
    /// stuck browser tab would: what the server sends piles up in the kernel's buffers, then in the server's.
    /// `source` binds the client's end to another loopback address (127.0.0.2, …), as another client. With
    /// `tls`, the connection speaks TLS (verifying the server's certificate against 127.0.0.1 when `tls` asks
    /// for verification), and what is sent and received is the plaintext inside. `preamble` goes out first,
    /// before any TLS, as a balancer's PROXY protocol header does.
    package static func connect(
        port: Int, reading: Bool = true, source: String? = nil, tls: TLSConfiguration? = nil, preamble: ByteBuffer? = nil
    ) async throws -> RawConnection {
        let collector = Collector()
        let sslContext = try tls.map { try NIOSSLContext(configuration: $0) }
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        if let source { bootstrap = bootstrap.bind(to: try SocketAddress(ipAddress: source, port: 0)) }
        let channel = try await bootstrap
            .channelOption(.autoRead, value: reading)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let preamble { try channel.pipeline.syncOperations.addHandler(PreambleWriter(preamble: preamble)) }
                    if let sslContext { try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: sslContext, serverHostname: nil)) }
                    try channel.pipeline.syncOperations.addHandler(collector)
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        return RawConnection(channel: channel, collector: collector)
    }

    private init(channel: any Channel, collector: Collector) {
        self.channel = channel
        self.collector = collector
    }

    /// Sends `text` as it is.
    package func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text))
    }

    /// Sends `bytes` as they are.
    package func send(_ bytes: ByteBuffer) async throws {
        try await channel.writeAndFlush(bytes)
    }

    /// The certificate the server presented, once the TLS handshake is done (nil without TLS).
    /// Waits (up to 5 s) for the handshake, which it needs to have happened, also when the connection has closed since.
    package func peerCertificate() async throws -> NIOSSLCertificate? {
        for _ in 0..<500 where !collector.handshakeDone { try await Task.sleep(for: .milliseconds(10)) }
        return collector.peerCertificate
    }

    /// Everything the server sent so far.
    package var received: String { collector.text }

    /// True while the server has not closed the connection.
    package var isOpen: Bool { channel.isActive }

    /// Everything the server sent, once it closed the connection; throws if it is still open after `timeout`.
    package func receivedUntilClosed(timeout: Duration) async throws -> String {
        let closed = channel.closeFuture
        try await withThrowingTaskGroup(of: Void.self) { race in
            race.addTask { try await closed.get() }
            race.addTask {
                try await Task.sleep(for: timeout)
                throw RawConnectionError()
            }
            try await race.next()
            race.cancelAll()
        }
        return collector.text
    }

    package func close() async {
        try? await channel.close()
    }

    struct RawConnectionError: Error, CustomStringConvertible {
        var description: String { "the server did not close the connection in time" }
    }

    /// Writes its bytes as soon as the connection is up, ahead of whatever the handlers after it start.
    private final class PreambleWriter: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let preamble: ByteBuffer

        init(preamble: ByteBuffer) { self.preamble = preamble }

        func channelActive(context: ChannelHandlerContext) {
            context.writeAndFlush(wrapOutboundOut(preamble), promise: nil)
            context.fireChannelActive()
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }

    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        private let received = Mutex(ByteBuffer())
        private let handshake = Mutex<(done: Bool, certificate: NIOSSLCertificate?)>((false, nil))

        var handshakeDone: Bool { handshake.withLock { $0.done } }
        var peerCertificate: NIOSSLCertificate? { handshake.withLock { $0.certificate } }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case TLSUserEvent.handshakeCompleted = event {
                let certificate = try? context.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self).peerCertificate
                handshake.withLock { $0 = (true, certificate) }
            }
            context.fireUserInboundEventTriggered(event)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var bytes = unwrapInboundIn(data)
            received.withLock { _ = $0.writeBuffer(&bytes) }
        }

        var text: String { received.withLock { String(buffer: $0) } }
    }
}
