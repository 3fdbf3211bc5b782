import NIOCore
import NIOPosix

/// Makes the channel a load-generator stream (``SSELoadConnection``) runs on, and calls `initialize` on it,
/// which adds the stream's handler, before the channel is active.
///
/// The stream's handler speaks HTTP/1.1 as bytes: an opener that puts it on another transport puts what
/// translates below it (a TLS handler; an HTTP/2 stream adapter). The default, ``tcp``, is a plaintext TCP
/// connection of the stream's own; the benchmark's TLS and HTTP/2 transports make their own openers.
package struct SSELoadChannelOpener: Sendable {
    /// Adds the stream's handler to a new channel.
    package typealias Initialize = @Sendable (any Channel) -> EventLoopFuture<Void>

    /// Opens a channel to `address` on `eventLoop` (or on the loop the transport dictates), the connection
    /// attempt bounded by `timeout`, with `initialize` run on it before it is active.
    package let open: @Sendable (
        _ address: SocketAddress, _ eventLoop: any EventLoop, _ timeout: Duration, _ initialize: @escaping Initialize
    ) async throws -> any Channel

    package init(
        open: @escaping @Sendable (SocketAddress, any EventLoop, Duration, @escaping Initialize) async throws -> any Channel
    ) {
        self.open = open
    }

    /// A plaintext TCP connection of the stream's own.
    package static let tcp = SSELoadChannelOpener { address, eventLoop, timeout, initialize in
        try await ClientBootstrap(group: eventLoop)
            .connectTimeout(TimeAmount(timeout))
            .channelInitializer(initialize)
            .connect(to: address)
            .get()
    }
}
