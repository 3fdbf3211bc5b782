import HeraldCore
import HeraldMetrics
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Herald's HTTP edge as a `Service`: the publish API, event streams and health endpoints on one port, or the
/// publish API on a second (internal) port when `publishPort` is set; both listeners share the event loops.
///
/// Graceful shutdown first reports the node not ready (`/readyz` 503) while it keeps serving for
/// `drainGrace`, so that load balancers stop sending new clients; then it stops listening, refuses new
/// streams, closes open streams at random moments within `drainWindow` (clients resume elsewhere from their
/// cursor), waits for the publishes in flight, and closes what is left.
public final class HTTPServer: Service, Sendable {
    private let app: EdgeApplication
    private let eventLoopGroup: any EventLoopGroup
    private let listening: EventLoopPromise<SocketAddress>
    private let publishListening: EventLoopPromise<SocketAddress?>

    /// - Parameter metrics: the node's metrics, shared with what else records into them (the Redis client,
    ///   the event-loop lag probe); when nil and `configuration.metrics` is on, the server makes its own.
    public init(
        configuration: EdgeConfiguration, broker: any Broker, fanOut: FanOut, eventLoopGroup: any EventLoopGroup, logger: Logger,
        metrics: HeraldMetrics? = nil
    ) {
        let metrics = configuration.metrics ? metrics ?? HeraldMetrics() : nil
        self.app = EdgeApplication(
            broker: broker, fanOut: fanOut, configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger, metrics: metrics
        )
        self.eventLoopGroup = eventLoopGroup
        self.listening = eventLoopGroup.any().makePromise(of: SocketAddress.self)
        self.publishListening = eventLoopGroup.any().makePromise(of: SocketAddress?.self)
    }

    /// The address the server listens on, once it does (useful with port 0).
    public func listeningAddress() async throws -> SocketAddress {
        try await listening.futureResult.get()
    }

    /// The address of the separate publish listener once it listens, or nil when there is none.
    public func publishListeningAddress() async throws -> SocketAddress? {
        try await publishListening.futureResult.get()
    }

    public func run() async throws {
        let app = self.app
        let separate = app.configuration.publishPort != nil
        let channel: any Channel
        let publishChannel: (any Channel)?
        do {
            channel = try await bind(host: app.configuration.host, port: app.configuration.port, listener: separate ? .streams : .combined)
        } catch {
            listening.fail(error)
            publishListening.fail(error)
            await app.shutdownHooks()
            throw error
        }
        if let address = channel.localAddress {
            app.logger.info("listening", metadata: [LogKeys.address: "\(address)"])
            listening.succeed(address)
        }
        if let port = app.configuration.publishPort {
            do {
                publishChannel = try await bind(host: app.configuration.publishHost ?? app.configuration.host, port: port, listener: .publish)
            } catch {
                publishListening.fail(error)
                try? await channel.close()
                await app.shutdownHooks()
                throw error
            }
            app.logger.info("publish api listening", metadata: [LogKeys.address: "\(publishChannel?.localAddress.map { "\($0)" } ?? "?")"])
            publishListening.succeed(publishChannel?.localAddress)
        } else {
            publishChannel = nil
            publishListening.succeed(nil)
        }
        try? await gracefulShutdown()
        app.enter(.draining)
        app.logger.info("shutting down: not ready, still serving", metadata: [LogKeys.drainGrace: "\(app.configuration.drainGrace)"])
        // why: a load balancer needs a few health checks to take the node out; until then it may still send
        // new clients here, and they must be served, not refused (a browser's EventSource gives up on a 503).
        try? await Task.sleep(for: .nanoseconds(app.configuration.drainGrace.nanoseconds))
        app.enter(.closing)
        app.logger.info("shutting down: closing streams", metadata: [LogKeys.drainWindow: "\(app.configuration.drainWindow)"])
        try? await channel.close()
        try? await publishChannel?.close()
        app.quiesceConnections()
        app.endStreamingPublishes()
        await app.fanOut.closeAll(spreadOver: app.configuration.drainWindow)
        await app.publishesFinished()
        await app.closeAllConnections()
        await app.shutdownHooks()
        app.logger.info("stopped")
    }

    private func bind(host: String, port: Int, listener: RequestRouter.Listener) async throws -> any Channel {
        let app = self.app
        return try await ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(AcceptPauseReporter.handlers(counters: app.capacity, logger: app.logger))
                }
            }
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .deadPeerDetection(timeout: app.configuration.deadPeerTimeout)
            // why: a stream whose peer stopped reading becomes unwritable past 256 KiB queued; the
            // SSE handler then counts further bytes against the slow-client limit.
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 64 << 10, high: 256 << 10))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try ConnectionPipeline.accept(channel, app: app, listener: listener)
                }
            }
            .bind(host: host, port: port)
            .get()
    }
}
