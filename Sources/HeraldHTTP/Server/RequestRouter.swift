import HeraldCore
import HeraldHooks
import Logging
import NIOCore
import NIOHTTP1

/// Reads one HTTP request at a time (bounded body), finds its route in `RouteTable`, and writes the response.
///
/// `POST /publish` and `GET /events` (which hands the connection to `SSEConnectionHandler`) are handled
/// here; an NDJSON `POST /publish` is read line by line as it arrives by a `StreamingPublish`, which holds
/// reading back while it has a batch waiting; every other route answers through its endpoint type. Every error is a JSON body from
/// `HTTPErrorResponse`, except a temporary refusal of `GET /events`, which is a retry stream (`RetryRefusal`).
/// With auth configured, publishes and private streams are checked (`EdgeConfiguration.auth`) before they run.
final class RequestRouter: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// Which listener the connection came in on.
    enum Listener: Sendable {
        /// Serves every route (no separate publish listener).
        case combined
        /// The main listener when publishing has its own: the `.everywhere` routes only.
        case streams
        /// The separate publish listener: every route (it is the internal side).
        case publish
    }

    private enum State {
        case idle
        case receiving(HTTPRequestHead, Route, parameter: String?, ByteBuffer)
        /// The request is refused (unknown route, wrong method); its body is ignored, the error sent at its end.
        case rejecting(HTTPRequestHead, any Error)
        /// A response was already sent and the connection is closing (for example after 413).
        case discarding
        case responding
        case streaming
        /// An NDJSON publish whose lines are stored as they arrive.
        case publishingStream(StreamingPublish)
    }

    private let app: EdgeApplication
    private let listener: Listener
    /// The client's address as the connection gives it (the socket's peer, or the PROXY header's source).
    private let peer: IPAddress?
    /// The client's address for the request being answered: `peer`, or behind a trusted proxy the address
    /// it forwarded.
    private var client: IPAddress?
    /// `peer` as text, made once for the connection's requests. why: formatting an address per request showed
    /// in the cost of one publish; only a forwarded client's address is formatted per request.
    private lazy var peerText: String? = peer?.description
    /// HTTP/1.x or an HTTP/2 stream: how an event stream is framed here.
    private let transport: Transport
    /// The HTTP handlers to remove when the connection becomes an event stream.
    private let httpHandlers: [any RemovableChannelHandler]
    private var state = State.idle
    /// The request being answered, for its id and its access log line.
    private var current: AccessLog.Request?
    /// The `endpoint` label of the request being answered, for `herald_requests_total`.
    private var endpoint = "other"
    /// A read the streaming publish held back, to pass on once it wants input again.
    private var readHeldBack = false

    init(app: EdgeApplication, listener: Listener, peer: IPAddress?, transport: Transport, httpHandlers: [any RemovableChannelHandler]) {
        self.app = app
        self.transport = transport
        self.listener = listener
        self.peer = peer
        self.client = peer
        self.httpHandlers = httpHandlers
    }

    /// `client` as text: the connection's own for its peer.
    private var clientText: String? {
        client == peer ? peerText : client?.description
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (unwrapInboundIn(data), state) {
        case (.head(let head), .idle):
            client = app.clientAddress(peer: peer, headers: head.headers)
            current = AccessLog.Request(head: head, client: app.accessLog.isEnabled ? clientText : nil)
            endpoint = "other"
            do {
                let (route, parameter) = try RouteTable.match(head, listener: listener)
                endpoint = route.metricsLabel
                if case .publish = route.handler, StreamingPublish.isStreaming(head) {
                    return startStreamingPublish(head: head, context: context)
                }
                if let length = head.headers.first(name: "content-length").flatMap(Int.init), length > app.configuration.maxBodySize {
                    respondAndClose(context: context, error: tooLarge())
                    return
                }
                state = .receiving(head, route, parameter: parameter, context.channel.allocator.buffer(capacity: 0))
            } catch {
                state = .rejecting(head, error)
            }
        case (.body(var part), .receiving(let head, let route, let parameter, var body)):
            guard body.readableBytes + part.readableBytes <= app.configuration.maxBodySize else {
                respondAndClose(context: context, error: tooLarge())
                return
            }
            state = .discarding  // why: drops the reference to `body` so appending does not copy it.
            current?.bytesIn += part.readableBytes
            body.writeBuffer(&part)
            state = .receiving(head, route, parameter: parameter, body)
        case (.body(let part), .publishingStream(let publish)):
            current?.bytesIn += part.readableBytes
            publish.receive(part)
        case (.end, .publishingStream(let publish)):
            publish.bodyEnded()
        case (.end, .receiving(let head, let route, let parameter, let body)):
            state = .responding
            handle(route, head: head, parameter: parameter, body: body, context: context)
        case (.end, .rejecting(let head, let error)):
            state = .responding
            respond(context: context, error: error, keepAlive: head.isKeepAlive)
        default:
            break
        }
    }

    func read(context: ChannelHandlerContext) {
        if case .publishingStream(let publish) = state, publish.holdsReadingBack {
            readHeldBack = true
            return
        }
        context.read()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .publishingStream(let publish) = state {
            publish.connectionClosed()
            state = .discarding
        }
        context.fireChannelInactive()
    }

    private func handle(_ route: Route, head: HTTPRequestHead, parameter: String?, body: ByteBuffer, context: ChannelHandlerContext) {
        switch route.handler {
        case .answer(let answer):
            let request = EndpointRequest(head: head, body: body, parameter: parameter, eventLoop: context.eventLoop, app: app)
            let promise = context.eventLoop.makePromise(of: EndpointResponse.self)
            promise.completeWithTask { try await answer(request) }
            respond(after: promise.futureResult, head: head, context: context)
        case .answerOnLoop(let answer):
            let request = EndpointRequest(head: head, body: body, parameter: parameter, eventLoop: context.eventLoop, app: app)
            respond(after: answer(request), head: head, context: context)
        case .publish:
            publish(head: head, body: body, context: context)
        case .events:
            openStream(head: head, context: context)
        }
    }

    /// Stores a publish and answers with its ids.
    private func publish(head: HTTPRequestHead, body: ByteBuffer, context: ChannelHandlerContext) {
        let limiter = app.publishRateLimiter
        // why: the client's address as text costs a formatting per request; only the rate limiter needs it.
        let address = limiter == nil ? nil : clientText
        let bearer = BearerCredentials.authorizationHeader(head.headers)
        guard let authorization = app.publishAuthorization, authorization.immediateGrant(bearer: bearer) == nil else {
            // Open publishing or the API key: parsed, stored and answered on this event loop, with no task.
            do {
                let request = try PublishEndpoint.parse(head: head, body: body, configuration: app.configuration)
                if let limiter, let address { try limiter.admit(request.events.count, from: address) }
                let (app, loop) = (app, context.eventLoop)
                let started = app.metrics.map { _ in NIODeadline.now() }  // metrics: publish latency, accept → acknowledged
                let stored = app.publishing { app.broker.publish(request.events, on: loop) }
                // why: one callback for the metrics and the answer, with no mapped future in between.
                stored.hop(to: loop).assumeIsolated().whenComplete { result in
                    switch result {
                    case .success(let positions):
                        if let metrics = app.metrics, let started {
                            metrics.published(events: request.events.count, nanoseconds: (NIODeadline.now() - started).nanoseconds)
                        }
                        self.respond(context: context, .json(request.reply(positions)), keepAlive: head.isKeepAlive)
                    case .failure(let error):
                        self.respond(context: context, error: error, keepAlive: head.isKeepAlive)
                    }
                }
            } catch {
                respond(context: context, error: error, keepAlive: head.isKeepAlive)
            }
            return
        }
        let (app, client) = (app, clientText)
        respond(after: {
            let request = try PublishEndpoint.parse(head: head, body: body, configuration: app.configuration)
            let topics = request.events.map(\.topic)
            try await authorization.grant(for: Array(Set(topics)).sorted(), head: head, client: client).authorize(topics)
            if let limiter, let address { try limiter.admit(request.events.count, from: address) }
            let started = NIODeadline.now()  // metrics: publish latency, accept → broker acknowledged
            let positions = try await app.publishing { try await app.broker.publish(request.events) }
            app.metrics?.published(events: request.events.count, nanoseconds: (NIODeadline.now() - started).nanoseconds)
            return .json(request.reply(positions))
        }, head: head, context: context)
    }

    /// Starts reading an NDJSON publish line by line; the request's clock (`RequestDeadlineHandler`) stops,
    /// and the streaming publish keeps its own between lines.
    private func startStreamingPublish(head: HTTPRequestHead, context: ChannelHandlerContext) {
        let parameters: StreamingPublish.Parameters
        do {
            parameters = try StreamingPublish.parameters(of: head)
        } catch {
            return respondAndClose(context: context, error: error)
        }
        let publish = StreamingPublish(
            parameters: parameters, app: app, context: context, client: clientText,
            finish: { [unowned self] response in
                let keepAlive = head.isKeepAlive && response.status == .ok
                self.respond(context: context, response, keepAlive: keepAlive)
                if !keepAlive { self.state = .discarding }
                // why: a read held back while the body was taken must not be lost, or the connection stalls.
                if self.readHeldBack {
                    self.readHeldBack = false
                    context.read()
                }
            },
            wantsInputAgain: { [unowned self] in
                guard self.readHeldBack else { return }
                self.readHeldBack = false
                context.read()
            }
        )
        state = .publishingStream(publish)
        context.triggerUserOutboundEvent(RequestDeadlineHandler.BodyStreamed(), promise: nil)
        publish.start(head: head)
    }

    /// Opens an event stream once the request is valid and, with subscriber auth, authorized.
    private func openStream(head: HTTPRequestHead, context: ChannelHandlerContext) {
        do {
            guard app.currentPhase != .closing else { throw EdgeError(.shuttingDown, "this node is shutting down; reconnect to another node") }
            let (request, accessToken) = try EventsEndpoint.parse(head: head, configuration: app.configuration)
            guard let authorization = app.streamAuthorization else {
                return startStream(request, grant: StreamAuthorization.Grant(), head: head, context: context)
            }
            let credentials = BearerCredentials.subscriber(headers: head.headers, accessToken: accessToken, cookieName: app.configuration.auth.cookieName)
            if credentials.token == nil, authorization.subscriber.allowsAnonymously(request.topics) {
                return startStream(request, grant: StreamAuthorization.Grant(), head: head, context: context)
            }
            let checked = context.eventLoop.makePromise(of: StreamAuthorization.Grant.self)
            let client = clientText
            checked.completeWithTask {
                try await authorization.authorize(request, head: head, credentials: credentials, client: client)
            }
            checked.futureResult.assumeIsolated().whenComplete { result in
                switch result {
                case .success(let grant): self.startStream(request, grant: grant, head: head, context: context)
                case .failure(let error): self.refuseStream(context: context, error: error, head: head)
                }
            }
        } catch {
            refuseStream(context: context, error: error, head: head)
        }
    }

    /// Turns the connection into an event stream (ending after the grant's `openFor`, if set).
    private func startStream(_ request: StreamRequest, grant: StreamAuthorization.Grant, head: HTTPRequestHead, context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        let openFor = grant.openFor
        do {
            // why: counted only now, once the stream is sure to open, so that a refused request on a
            // keep-alive connection leaves no count behind.
            if let refusal = app.admitStream(on: context.channel, peer: peer, client: client, transport: transport) { throw refusal }
            // why: only fail-open needs to know which streams are open; without it no callback per stream.
            if let (key, decision) = grant.hook, let hook = app.subscribeHook, hook.settings.failOpenForResumes {
                hook.streamOpened(key, topics: request.topics.map(\.name), decision: decision)
                context.channel.closeFuture.whenComplete { _ in hook.streamClosed(key) }
            }
            state = .streaming
            let access = current ?? AccessLog.Request(head: head, client: clientText)
            try EventsEndpoint.start(
                request, openFor: openFor, user: grant.user, head: head, access: access, context: context, app: app, transport: transport, handlersToRemove: httpHandlers + [self]
            )
            app.metrics?.requestAnswered(endpoint: endpoint, status: 200)
        } catch {
            refuseStream(context: context, error: error, head: head)
        }
    }

    /// Answers a refused `GET /events` and closes: a temporary refusal (node shutting down, backend
    /// unavailable) as a retry stream a browser comes back from, a permanent one as its JSON error.
    private func refuseStream(context: ChannelHandlerContext, error: any Error, head: HTTPRequestHead) {
        if RetryRefusal.respondIfTemporary(to: error, requestID: current?.id, app: app, context: context) {
            app.metrics?.requestAnswered(endpoint: endpoint, status: 200)
            state = .discarding
            if let current {
                app.accessLog.streamClosed(id: current.id, client: current.client, topicCount: 0, opened: current.start, bytesOut: 0, events: 0, reason: .refused)
            }
        } else {
            respond(context: context, error: error, keepAlive: head.isKeepAlive)
        }
    }

    /// Runs `work` (backend calls) in a task tied to this request, then answers as `respond(after:)` does.
    private func respond(after work: @escaping @Sendable () async throws -> EndpointResponse, head: HTTPRequestHead, context: ChannelHandlerContext) {
        let promise = context.eventLoop.makePromise(of: EndpointResponse.self)
        promise.completeWithTask(work)
        respond(after: promise.futureResult, head: head, context: context)
    }

    /// Answers with the response `result` completes with, or the error it fails with. The pipelining handler
    /// holds further requests of the connection meanwhile.
    private func respond(after result: EventLoopFuture<EndpointResponse>, head: HTTPRequestHead, context: ChannelHandlerContext) {
        result.hop(to: context.eventLoop).assumeIsolated().whenComplete { result in
            switch result {
            case .success(let response):
                self.respond(context: context, response, keepAlive: head.isKeepAlive)
            case .failure(let error):
                self.respond(context: context, error: error, keepAlive: head.isKeepAlive)
            }
        }
    }

    private func tooLarge() -> EdgeError {
        EdgeError(.payloadTooLarge, "the body is larger than the limit of \(app.configuration.maxBodySize) bytes; split it into smaller batches")
    }

    private func respondAndClose(context: ChannelHandlerContext, error: any Error) {
        respond(context: context, error: error, keepAlive: false)
        state = .discarding
    }

    private func respond(context: ChannelHandlerContext, error: any Error, keepAlive: Bool) {
        let response = HTTPErrorResponse(error)
        let metadata: Logger.Metadata = [LogKeys.error: "\(error)", LogKeys.requestID: "\(current?.id ?? "-")"]
        if response.status == .internalServerError {
            app.logger.error("request failed", metadata: metadata)
        } else if response.status.code >= 500 {
            app.logger.warning("request refused, backend not serving", metadata: metadata)
        }
        respond(context: context, response.response(), keepAlive: keepAlive)
    }

    private func respond(context: ChannelHandlerContext, _ response: EndpointResponse, keepAlive: Bool) {
        state = .idle
        var response = response
        let request = current
        current = nil
        if let request { response.headers.append((RequestID.headerName, request.id)) }
        app.metrics?.requestAnswered(endpoint: endpoint, status: Int(response.status.code))  // metrics: requests by endpoint and status
        // why: while shutting down, a load balancer must not reuse this connection for its next requests.
        let bytesOut = ResponseWriter.write(response, keepAlive: keepAlive && app.currentPhase == .serving, context: context)
        if let request { app.accessLog.finished(request, status: response.status, bytesOut: bytesOut) }
    }
}
