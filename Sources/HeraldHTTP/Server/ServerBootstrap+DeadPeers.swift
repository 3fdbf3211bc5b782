import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

extension ServerBootstrap {
    /// Sets TCP keepalive and, on Linux, `TCP_USER_TIMEOUT` on accepted sockets, so that a client that
    /// vanishes without a FIN or RST (a phone losing its network) is dropped once it leaves written bytes
    /// (a heartbeat at the latest) unacknowledged for `timeout`, instead of after the kernel's ~15 minutes
    /// of retransmissions. The SSE handler then releases its stream and counts a dead peer.
    func deadPeerDetection(timeout: TimeAmount) -> ServerBootstrap {
        let seconds = max(1, Int(timeout.nanoseconds / 1_000_000_000))
        var bootstrap = self.childChannelOption(.socketOption(.so_keepalive), value: 1)
        #if os(Linux)
        let tcp = NIOBSDSocket.OptionLevel.tcp
        bootstrap = bootstrap
            // why: keepalive probes only matter on a connection with nothing to send; they start after one
            // timeout of idleness and three unanswered probes, a third of it apart, end it.
            .childChannelOption(ChannelOptions.Types.SocketOption(level: tcp, name: .init(rawValue: TCP_KEEPIDLE)), value: seconds)
            .childChannelOption(ChannelOptions.Types.SocketOption(level: tcp, name: .init(rawValue: TCP_KEEPINTVL)), value: max(1, seconds / 3))
            .childChannelOption(ChannelOptions.Types.SocketOption(level: tcp, name: .init(rawValue: TCP_KEEPCNT)), value: 3)
            .childChannelOption(
                ChannelOptions.Types.SocketOption(level: tcp, name: .init(rawValue: TCP_USER_TIMEOUT)),
                value: Int(timeout.nanoseconds / 1_000_000)
            )
        #endif
        return bootstrap
    }
}
