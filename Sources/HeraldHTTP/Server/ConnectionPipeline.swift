import HeraldWire
import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOTLS

/// Builds the pipeline of an accepted connection: TLS when its listener has it; then HTTP/1.1, or HTTP/2 when
/// the client asks for it (ALPN `h2` on TLS; the connection preface in cleartext with `--h2c`); then the edge's
/// handlers, the same for both protocols: limits, CORS, and a `RequestRouter` per request stream.
struct ConnectionPipeline: Sendable {
    let app: EdgeApplication
    let listener: RequestRouter.Listener
    /// The client's address as the connection gives it (the socket's peer, or the PROXY header's source).
    let peer: IPAddress?
    /// Why the connection is refused (too many connections), answered to its first request; nil to serve it.
    let refusal: EdgeError?

    /// Sets up an accepted connection: at once, or with `--proxy-protocol` once the PROXY header said who the
    /// client is (its address decides admission).
    static func accept(_ channel: any Channel, app: EdgeApplication, listener: RequestRouter.Listener) throws {
        guard app.configuration.proxyProtocol, listener != .publish else {
            return try configure(channel, app: app, listener: listener, peer: channel.remoteAddress)
        }
        let proxyHeader = LeadingBytesHandler(timeout: app.configuration.requestLimits.requestTimeout) { bytes in
            try ProxyHeader.parse(bytes).map { header in
                .init(consumed: header.length) { channel in
                    try configure(channel, app: app, listener: listener, peer: header.source ?? channel.remoteAddress)
                }
            }
        }
        try channel.pipeline.syncOperations.addHandler(proxyHeader)
    }

    /// Admits a connection from `peer` and adds its handlers.
    private static func configure(_ channel: any Channel, app: EdgeApplication, listener: RequestRouter.Listener, peer: SocketAddress?) throws {
        let peer = peer.flatMap(IPAddress.init)
        let refusal = app.admit(channel, listener: listener, peer: peer)
        if let refusal {
            // why: debug, not info: a full node refuses every further client, and its log must not grow with them.
            app.logger.debug("connection refused", metadata: [LogKeys.refusal: "\(refusal.code)"])
        }
        try ConnectionPipeline(app: app, listener: listener, peer: peer, refusal: refusal).add(to: channel)
    }

    private func add(to channel: any Channel) throws {
        let pipeline = channel.pipeline.syncOperations
        let configuration = app.configuration
        if let tls = listener == .publish ? configuration.publishTLS : configuration.tls {
            try pipeline.addHandler(tls.makeHandler())
            try pipeline.addHandler(HandshakeDeadlineHandler(timeout: configuration.requestLimits.requestTimeout))
            let connection = self
            try pipeline.addHandler(ApplicationProtocolNegotiationHandler { result, channel in
                channel.eventLoop.makeCompletedFuture {
                    if case .negotiated("h2") = result {
                        try connection.addHTTP2(to: channel)
                    } else {
                        try connection.addHTTP1(to: channel)
                    }
                }
            })
        } else if configuration.http2.cleartext {
            let connection = self
            try pipeline.addHandler(LeadingBytesHandler(timeout: configuration.requestLimits.requestTimeout) { bytes in
                HTTP2Preface.matches(bytes).map { isHTTP2 in
                    // The preface stays: it is HTTP/2's first bytes, read by NIO's HTTP/2 handler.
                    .init(consumed: 0) { channel in try isHTTP2 ? connection.addHTTP2(to: channel) : connection.addHTTP1(to: channel) }
                }
            })
        } else {
            try addHTTP1(to: channel)
        }
    }

    /// HTTP/1.1: one request at a time (pipelined requests wait), each routed; all of these handlers leave
    /// when the connection becomes an event stream.
    private func addHTTP1(to channel: any Channel) throws {
        let limits = app.configuration.requestLimits
        var httpHandlers: [any RemovableChannelHandler & ChannelHandler] = [
            HTTPResponseEncoder(),
            ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes, limitConfiguration: RequestLimitsHandler.decoderLimits(limits))),
            RequestDeadlineHandler(timeout: limits.requestTimeout),
            HTTPServerPipelineHandler(),
            RequestLimitsHandler(limits: limits),
        ]
        if let cors = app.configuration.cors { httpHandlers.append(CORSHandler(policy: cors)) }
        let pipeline = channel.pipeline.syncOperations
        for handler in httpHandlers { try pipeline.addHandler(handler) }
        try addResponder(to: pipeline, transport: .http1, httpHandlers: httpHandlers)
    }

    /// HTTP/2: each request is a stream (a child channel) with its own HTTP/1-style handlers behind NIO's
    /// codec, so every route and the event streams work as over HTTP/1.1. The connection is bounded in
    /// concurrent streams (`--h2-max-streams`), header list size (`--max-header-size`), resets, control frames
    /// and the bytes its streams may hold for a client that stops reading (`HTTP2ConnectionBudget`); it sends
    /// GOAWAY when idle for `--request-timeout` and when the node drains.
    private func addHTTP2(to channel: any Channel) throws {
        let configuration = app.configuration
        let limits = configuration.requestLimits
        var connectionConfiguration = NIOHTTP2Handler.ConnectionConfiguration()
        connectionConfiguration.initialSettings = [
            HTTP2Setting(parameter: .maxConcurrentStreams, value: configuration.http2.maxConcurrentStreams),
            HTTP2Setting(parameter: .maxHeaderListSize, value: limits.maxHeaderSize),
        ]
        let management = NIOHTTP2ServerConnectionManagementHandler(
            eventLoop: channel.eventLoop,
            configuration: .init(maxIdleTime: limits.requestTimeout, maxAge: nil, maxGraceTime: nil, keepalive: nil)
        )
        let budget = NIOLoopBound(HTTP2ConnectionBudget(limit: configuration.slowClientBufferLimit), eventLoop: channel.eventLoop)
        let connection = self
        let pipeline = channel.pipeline.syncOperations
        _ = try pipeline.configureHTTP2Pipeline(
            mode: .server, connectionConfiguration: connectionConfiguration, streamConfiguration: NIOHTTP2Handler.StreamConfiguration(),
            streamDelegate: management.http2StreamDelegate
        ) { stream in
            stream.eventLoop.makeCompletedFuture {
                try connection.addHTTP2Stream(to: stream, budget: budget.value)
            }
        }
        try pipeline.addHandler(management)
        try pipeline.addHandler(HTTP2ErrorCloser())
    }

    private func addHTTP2Stream(to stream: any Channel, budget: HTTP2ConnectionBudget) throws {
        let limits = app.configuration.requestLimits
        let pipeline = stream.pipeline.syncOperations
        try pipeline.addHandler(HTTP2FramePayloadToHTTP1ServerCodec())
        var httpHandlers: [any RemovableChannelHandler & ChannelHandler] = [
            RequestDeadlineHandler(timeout: limits.requestTimeout),
            RequestLimitsHandler(limits: limits),
        ]
        if let cors = app.configuration.cors { httpHandlers.append(CORSHandler(policy: cors)) }
        for handler in httpHandlers { try pipeline.addHandler(handler) }
        try addResponder(to: pipeline, transport: .http2(budget), httpHandlers: httpHandlers)
    }

    private func addResponder(
        to pipeline: ChannelPipeline.SynchronousOperations, transport: Transport, httpHandlers: [any RemovableChannelHandler & ChannelHandler]
    ) throws {
        if let refusal {
            let isHTTP2 = if case .http2 = transport { true } else { false }
            try pipeline.addHandler(RefusingResponder(refusal: refusal, app: app, closesConnection: isHTTP2))
        } else {
            try pipeline.addHandler(RequestRouter(app: app, listener: listener, peer: peer, transport: transport, httpHandlers: httpHandlers))
        }
    }
}
