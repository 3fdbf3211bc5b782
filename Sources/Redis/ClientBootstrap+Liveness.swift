import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

extension ClientBootstrap {
    /// Sets TCP keepalive and, on Linux, `TCP_USER_TIMEOUT` on Redis sockets, so that the kernel also gives
    /// up on a peer that stopped acknowledging (a half-open partition), in addition to the `PING` health
    /// check, which also finds links that acknowledge but never answer.
    func redisLiveness(_ configuration: RedisConfiguration) -> ClientBootstrap {
        let timeout = configuration.healthCheckTimeout
        // why: probes start after one health timeout of idleness and three of them, a second apart, decide;
        // the health check's PINGs keep a live connection from ever being idle that long.
        let idleSeconds = max(1, Int(timeout.nanoseconds / 1_000_000_000))
        var bootstrap = self.channelOption(.socketOption(.so_keepalive), value: 1)
        #if os(Linux)
        let tcp = NIOBSDSocket.OptionLevel.tcp
        bootstrap = bootstrap
            .channelOption(ChannelOptions.Types.SocketOption(level: tcp, name: .init(rawValue: TCP_KEEPIDLE)), value: idleSeconds)
            .channelOption(ChannelOptions.Types.SocketOption(level: tcp, name: .init(rawValue: TCP_KEEPINTVL)), value: 1)
            .channelOption(ChannelOptions.Types.SocketOption(level: tcp, name: .init(rawValue: TCP_KEEPCNT)), value: 3)
            // why: written data unacknowledged for a health timeout means the peer is gone; the value is in ms.
            .channelOption(
                ChannelOptions.Types.SocketOption(level: tcp, name: .init(rawValue: TCP_USER_TIMEOUT)),
                value: Int(timeout.nanoseconds / 1_000_000)
            )
        #endif
        return bootstrap
    }
}
