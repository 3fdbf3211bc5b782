import NIOCore
import NIOPosix
import Synchronization

/// A TCP relay on a loopback port that forwards every connection to an upstream port, and that can go
/// silent: a gray failure, as a frozen VM, a dead NAT entry or a half-open partition look to a client.
///
/// ``goSilent()`` makes every open connection stop forwarding for good, in both directions, while both of
/// its sockets stay open (bytes are read and dropped, so nothing is refused or reset); connections accepted
/// while silent are held open and forward nothing either. ``resume()`` lets new connections through again,
/// as a network that recovers does; the connections that went silent stay silent until their client closes
/// them (their NAT entry is gone). A client that closes its side closes the upstream side too.
package final class TCPRelay: Sendable {
    /// The two channels of one relayed connection and whether it went silent.
    final class Link: Sendable {
        let silent = Atomic(false)
    }

    private struct State {
        var silent = false
        var links: [Link] = []
        var channels: [ObjectIdentifier: any Channel] = [:]
    }

    /// The loopback port clients connect to.
    package let port: Int
    private let server: any Channel
    private let state = Mutex(State())

    private init(port: Int, server: any Channel) {
        self.port = port
        self.server = server
    }

    /// Starts a relay to 127.0.0.1:`upstreamPort` on a free loopback port.
    package static func start(upstreamPort: Int) async throws -> TCPRelay {
        let box = StateBox()
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                box.relay.withLock { $0 }!.accept(child, upstreamPort: upstreamPort)
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        guard let port = server.localAddress?.port else {
            try? await server.close()
            throw LoopbackPort.Failure(description: "the relay has no local port")
        }
        let relay = TCPRelay(port: port, server: server)
        box.relay.withLock { $0 = relay }
        return relay
    }

    /// Stops forwarding on every open connection and on every one accepted from now on; keeps them open.
    package func goSilent() {
        let links = state.withLock { state in
            state.silent = true
            return state.links
        }
        for link in links { link.silent.store(true, ordering: .relaxed) }
    }

    /// Forwards new connections again; the silent ones stay silent.
    package func resume() {
        state.withLock { $0.silent = false }
    }

    /// Closes the listener and every connection.
    package func stop() {
        server.close(promise: nil)
        let channels = state.withLock { Array($0.channels.values) }
        for channel in channels { channel.close(promise: nil) }
    }

    private func accept(_ child: any Channel, upstreamPort: Int) -> EventLoopFuture<Void> {
        let link = Link()
        let silent = state.withLock { state in
            state.links.append(link)
            return state.silent
        }
        track(child)
        guard !silent else {
            link.silent.store(true, ordering: .relaxed)
            return child.pipeline.addHandler(Forwarder(link: link, peer: nil, isClientSide: true))
        }
        return ClientBootstrap(group: child.eventLoop)
            .connect(host: "127.0.0.1", port: upstreamPort)
            .flatMap { upstream in
                self.track(upstream)
                return child.pipeline.addHandler(Forwarder(link: link, peer: upstream, isClientSide: true)).flatMap {
                    upstream.pipeline.addHandler(Forwarder(link: link, peer: child, isClientSide: false))
                }
            }
    }

    private func track(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        state.withLock { $0.channels[id] = channel }
        channel.closeFuture.whenComplete { [weak self] _ in
            _ = self?.state.withLock { $0.channels.removeValue(forKey: id) }
        }
    }

    /// Holds the relay for the child initializer, which exists before the relay does.
    private final class StateBox: Sendable {
        let relay = Mutex<TCPRelay?>(nil)
    }

    /// Writes what one side reads to the other, unless the link is silent (then it drops it).
    private final class Forwarder: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer

        let link: Link
        let peer: (any Channel)?
        /// Whether this handler sits on the client's connection (its peer is the upstream one).
        let isClientSide: Bool

        init(link: Link, peer: (any Channel)?, isClientSide: Bool) {
            self.link = link
            self.peer = peer
            self.isClientSide = isClientSide
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard !link.silent.load(ordering: .relaxed), let peer else { return }
            peer.write(unwrapInboundIn(data), promise: nil)
        }

        func channelReadComplete(context: ChannelHandlerContext) {
            guard !link.silent.load(ordering: .relaxed) else { return }
            peer?.flush()
        }

        func channelInactive(context: ChannelHandlerContext) {
            // why: a silent link tells the other side nothing, not even that this side closed; a client
            // closing a silent connection still releases its upstream socket (as a NAT entry timing out does).
            if isClientSide || !link.silent.load(ordering: .relaxed) {
                peer?.close(promise: nil)
            }
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
