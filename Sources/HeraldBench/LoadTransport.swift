import HeraldClient
import NIOCore
import NIOHTTP2
import NIOPosix
import NIOSSL
import Synchronization

/// How the benchmark's subscribers reach the node: HTTP/1.1 with a connection per stream (plaintext, or TLS
/// for an `https://` target), or HTTP/2 with `streamsPerConnection` streams on each connection (h2c with
/// prior knowledge, or TLS with ALPN `h2`).
///
/// Guarantees: subscriber *i* of an HTTP/2 fleet runs on connection (i mod loops, (i / loops) / streams),
/// so a connection's streams all belong to the loop the fleet gives subscriber *i*; a connection is opened
/// once, by its first stream, and ``close()`` closes them all. TLS does not verify the node's certificate:
/// targets are loopback only (``BenchTarget``), and a benchmark measures cost, not trust.
final class LoadTransport: Sendable {
    /// Streams per HTTP/2 connection; `nil` for HTTP/1.1.
    let streamsPerConnection: Int?
    private let tls: NIOSSLContext?
    private let connections = Mutex<[Int: EventLoopFuture<NIOHTTP2Handler.StreamMultiplexer>]>([:])
    private let channels = Mutex<[any Channel]>([])

    init(tls: Bool, streamsPerConnection: Int?) throws {
        self.streamsPerConnection = streamsPerConnection
        if tls {
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .none
            configuration.applicationProtocols = streamsPerConnection == nil ? ["http/1.1"] : ["h2"]
            self.tls = try NIOSSLContext(configuration: configuration)
        } else {
            self.tls = nil
        }
    }

    /// What the report calls it: `http/1.1`, `http/1.1+tls`, `h2c` or `h2`.
    var name: String {
        switch (streamsPerConnection, tls) {
        case (nil, nil): "http/1.1"
        case (nil, _): "http/1.1+tls"
        case (_, nil): "h2c"
        case (_, _): "h2"
        }
    }

    /// The opener of subscriber `index`'s stream, in a fleet spread over `loops` event loops.
    func opener(subscriber index: Int, loops: Int) -> SSELoadChannelOpener {
        guard let streamsPerConnection else { return tls.map(Self.tlsOpener) ?? .tcp }
        let connection = index % loops + loops * ((index / loops) / streamsPerConnection)
        let scheme = tls == nil ? "http" : "https"
        return SSELoadChannelOpener { [self] address, eventLoop, timeout, initialize in
            let multiplexer = try await multiplexer(connection, address: address, eventLoop: eventLoop, timeout: timeout).get()
            return try await multiplexer.createStreamChannel { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(HTTP2StreamAdapter(scheme: scheme))
                }.flatMap { initialize(channel) }
            }.get()
        }
    }

    /// Closes every HTTP/2 connection (and so its streams).
    func close() {
        let open = channels.withLock { channels in
            defer { channels.removeAll() }
            return channels
        }
        for channel in open { channel.close(promise: nil) }
    }

    private static func tlsOpener(_ context: NIOSSLContext) -> SSELoadChannelOpener {
        SSELoadChannelOpener { address, eventLoop, timeout, initialize in
            try await ClientBootstrap(group: eventLoop)
                .connectTimeout(TimeAmount(timeout))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: nil))
                    }.flatMap { initialize(channel) }
                }
                .connect(to: address)
                .get()
        }
    }

    private func multiplexer(
        _ connection: Int, address: SocketAddress, eventLoop: any EventLoop, timeout: Duration
    ) -> EventLoopFuture<NIOHTTP2Handler.StreamMultiplexer> {
        connections.withLock { connections in
            if let existing = connections[connection] { return existing }
            let opened = connect(address: address, eventLoop: eventLoop, timeout: timeout)
            connections[connection] = opened
            return opened
        }
    }

    private func connect(address: SocketAddress, eventLoop: any EventLoop, timeout: Duration) -> EventLoopFuture<NIOHTTP2Handler.StreamMultiplexer> {
        let tls = tls
        return ClientBootstrap(group: eventLoop)
            .connectTimeout(TimeAmount(timeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: nil)) }
                }
            }
            .connect(to: address)
            .flatMapThrowing { [self] channel in
                channels.withLock { $0.append(channel) }
                var connection = NIOHTTP2Handler.ConnectionConfiguration()
                // why: a browser's windows (Chromium: 6 MiB a stream, 15 MiB the connection); 64 KiB would make
                // the client, not the node, the limit.
                connection.targetWindowSize = 15 << 20
                connection.initialSettings = [
                    HTTP2Setting(parameter: .maxConcurrentStreams, value: 100),
                    HTTP2Setting(parameter: .initialWindowSize, value: 1 << 20),
                ]
                var stream = NIOHTTP2Handler.StreamConfiguration()
                stream.targetWindowSize = 1 << 20
                return try channel.pipeline.syncOperations.configureHTTP2Pipeline(
                    mode: .client, connectionConfiguration: connection, streamConfiguration: stream
                ) { channel in channel.eventLoop.makeSucceededVoidFuture() }
            }
    }
}
