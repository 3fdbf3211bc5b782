import NIOCore
import NIOPosix
import Synchronization

/// A bare TCP connection for tests that send what no HTTP client would: partial requests, a byte at a time,
/// garbage. It records every byte the server sends until the server closes.
package final class RawConnection: Sendable {
    private let channel: any Channel
    private let collector: Collector

    /// Connects to 127.0.0.1:`port`. With `reading: false` the client never reads from its socket, as a
    /// stuck browser tab would: what the server sends piles up in the kernel's buffers, then in the server's.
    package static func connect(port: Int, reading: Bool = true) async throws -> RawConnection {
        let collector = Collector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.autoRead, value: reading)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
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

    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        private let received = Mutex(ByteBuffer())

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var bytes = unwrapInboundIn(data)
            received.withLock { _ = $0.writeBuffer(&bytes) }
        }

        var text: String { received.withLock { String(buffer: $0) } }
    }
}
