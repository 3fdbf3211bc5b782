import HeraldCore
import NIOCore
import NIOHTTP1

/// Reads one HTTP request at a time (bounded body), routes it, and writes the response.
///
/// Routes: `POST /publish`, `GET /events` (which hands the connection to `SSEConnectionHandler`),
/// `GET /healthz`, `GET /readyz`, `GET /stats`, `GET /metrics`. Every error is a JSON body from `HTTPErrorResponse`, except
/// a temporary refusal of `GET /events`, which is a retry stream (`RetryRefusal`).
/// With auth configured, publishes and private streams are checked (`EdgeConfiguration.auth`) before they run.
final class RequestRouter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// Which listener the connection came in on.
    enum Listener: Sendable {
        /// Serves every route (no separate publish listener).
        case combined
        /// The main listener when publishing has its own: no `POST /publish`.
        case streams
        /// The separate publish listener: `POST /publish`, `/healthz`, `/readyz`, `/stats`, `/metrics` only.
        case publish
    }

    private enum Route: String { case publish, events, health = "healthz", ready = "readyz", stats, metrics }
    private enum State {
        case idle
        case receiving(HTTPRequestHead, Route, ByteBuffer)
        /// The request is refused (unknown route, wrong method); its body is ignored, the error sent at its end.
        case rejecting(HTTPRequestHead, any Error)
        /// A response was already sent and the connection is closing (for example after 413).
        case discarding
        case responding
        case streaming
    }

    private let app: EdgeApplication
    private let listener: Listener
    /// The HTTP handlers to remove when the connection becomes an event stream.
    private let httpHandlers: [any RemovableChannelHandler]
    private var state = State.idle
    /// The `endpoint` label of the request being answered, for `herald_requests_total`.
    private var endpoint = "other"

    init(app: EdgeApplication, listener: Listener, httpHandlers: [any RemovableChannelHandler]) {
        self.app = app
        self.listener = listener
        self.httpHandlers = httpHandlers
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (unwrapInboundIn(data), state) {
        case (.head(let head), .idle):
            endpoint = "other"
            do {
                let route = try Self.route(head, listener: listener)
                endpoint = route.rawValue
                if route == .publish, let length = head.headers.first(name: "content-length").flatMap(Int.init), length > app.configuration.maxBodySize {
                    respondAndClose(context: context, error: tooLarge())
                    return
                }
                state = .receiving(head, route, context.channel.allocator.buffer(capacity: 0))
            } catch {
                state = .rejecting(head, error)
            }
        case (.body(var part), .receiving(let head, let route, var body)):
            guard body.readableBytes + part.readableBytes <= app.configuration.maxBodySize else {
                respondAndClose(context: context, error: tooLarge())
                return
            }
            state = .discarding  // why: drops the reference to `body` so appending does not copy it.
            body.writeBuffer(&part)
            state = .receiving(head, route, body)
        case (.end, .receiving(let head, let route, let body)):
            state = .responding
            handle(route, head: head, body: body, context: context)
        case (.end, .rejecting(let head, let error)):
            state = .responding
            respond(context: context, error: error, keepAlive: head.isKeepAlive)
        default:
            break
        }
    }

    private func handle(_ route: Route, head: HTTPRequestHead, body: ByteBuffer, context: ChannelHandlerContext) {
        switch route {
        case .stats:
            let app = app
            respond(after: { await StatsEndpoint.json(app: app) }, head: head, context: context)
        case .metrics:
            let app = app
            let text = context.eventLoop.makePromise(of: String.self)
            text.completeWithTask { try await MetricsEndpoint.text(app: app) }
            respond(after: text.futureResult, contentType: MetricsEndpoint.contentType, head: head, context: context)
        case .health:
            let fanOut = app.fanOut
            respond(after: { "{\"status\":\"ok\",\"streams\":\(await fanOut.sessionCount())}" }, head: head, context: context)
        case .ready:
            let broker = app.broker
            let app = app
            let ready = context.eventLoop.makePromise(of: String.self)
            ready.completeWithTask {
                guard app.currentPhase == .serving else {
                    throw EdgeError(.draining, "this node is shutting down and takes no new clients; its streams move to other nodes")
                }
                try await broker.checkReady()
                return "{\"status\":\"ready\",\"backend\":\(JSONText.quoted(broker.name))}"
            }
            // why: a load balancer's check must always get an answer; a check that has not finished in time
            // means the backend is not serving, whatever it would say later.
            let timeout = app.configuration.readinessTimeout
            let deadline = context.eventLoop.scheduleTask(in: timeout) {
                ready.fail(HeraldError(.backendUnavailable, "the readiness check did not finish within \(timeout.nanoseconds / 1_000_000) ms"))
            }
            ready.futureResult.whenComplete { _ in deadline.cancel() }
            respond(after: ready.futureResult, head: head, context: context)
        case .publish:
            let limiter = app.publishRateLimiter
            let address = context.channel.remoteAddress?.ipAddress
            let bearer = BearerCredentials.authorizationHeader(head.headers)
            guard let publisher = app.configuration.auth.publisher, publisher.apiKeyGrant(bearer: bearer) == nil else {
                // Open publishing or the API key: parsed, stored and answered on this event loop, with no task.
                do {
                    let request = try PublishEndpoint.parse(head: head, body: body, configuration: app.configuration)
                    if let limiter, let address { try limiter.admit(request.events.count, from: address) }
                    let (app, loop) = (app, context.eventLoop)
                    let started = NIODeadline.now()  // metrics: publish latency, accept → broker acknowledged
                    let stored = app.publishing { app.broker.publish(request.events, on: loop) }
                    if let metrics = app.metrics {
                        stored.whenSuccess { _ in metrics.published(events: request.events.count, nanoseconds: (NIODeadline.now() - started).nanoseconds) }
                    }
                    respond(after: stored.map { request.reply($0) }, head: head, context: context)
                } catch {
                    respond(context: context, error: error, keepAlive: head.isKeepAlive)
                }
                return
            }
            let app = app
            respond(after: {
                let grant = try await publisher.authenticate(bearer: bearer)
                let request = try PublishEndpoint.parse(head: head, body: body, configuration: app.configuration)
                try grant.authorize(request.events.map(\.topic))
                if let limiter, let address { try limiter.admit(request.events.count, from: address) }
                let started = NIODeadline.now()  // metrics: publish latency, accept → broker acknowledged
                let positions = try await app.publishing { try await app.broker.publish(request.events) }
                app.metrics?.published(events: request.events.count, nanoseconds: (NIODeadline.now() - started).nanoseconds)
                return request.reply(positions)
            }, head: head, context: context)
        case .events:
            do {
                guard app.currentPhase != .closing else { throw EdgeError(.shuttingDown, "this node is shutting down; reconnect to another node") }
                let (request, accessToken) = try EventsEndpoint.parse(head: head, configuration: app.configuration)
                guard let subscriber = app.configuration.auth.subscriber else {
                    return startStream(request, openFor: nil, head: head, context: context)
                }
                let credentials = BearerCredentials.subscriber(headers: head.headers, accessToken: accessToken, cookieName: app.configuration.auth.cookieName)
                if credentials.token == nil, subscriber.allowsAnonymously(request.topics) {
                    return startStream(request, openFor: nil, head: head, context: context)
                }
                let checked = context.eventLoop.makePromise(of: Duration?.self)
                checked.completeWithTask {
                    try await subscriber.authorize(token: credentials.token, source: credentials.source, topics: request.topics)
                }
                checked.futureResult.assumeIsolated().whenComplete { result in
                    switch result {
                    case .success(let openFor): self.startStream(request, openFor: openFor, head: head, context: context)
                    case .failure(let error): self.refuseStream(context: context, error: error, head: head)
                    }
                }
            } catch {
                refuseStream(context: context, error: error, head: head)
            }
        }
    }

    /// Turns the connection into an event stream (ending after `openFor`, if set).
    private func startStream(_ request: StreamRequest, openFor: Duration?, head: HTTPRequestHead, context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        do {
            state = .streaming
            try EventsEndpoint.start(request, openFor: openFor, head: head, context: context, app: app, handlersToRemove: httpHandlers + [self])
            app.metrics?.requestAnswered(endpoint: endpoint, status: 200)
        } catch {
            refuseStream(context: context, error: error, head: head)
        }
    }

    /// Answers a refused `GET /events` and closes: a temporary refusal (node shutting down, backend
    /// unavailable) as a retry stream a browser comes back from, a permanent one as its JSON error.
    private func refuseStream(context: ChannelHandlerContext, error: any Error, head: HTTPRequestHead) {
        if RetryRefusal.respondIfTemporary(to: error, app: app, context: context) {
            app.metrics?.requestAnswered(endpoint: endpoint, status: 200)
            state = .discarding
        } else {
            respond(context: context, error: error, keepAlive: head.isKeepAlive)
        }
    }

    /// Runs `work` (backend calls) in a task tied to this request, then answers as `respond(after:)` does.
    private func respond(after work: @escaping @Sendable () async throws -> String, head: HTTPRequestHead, context: ChannelHandlerContext) {
        let promise = context.eventLoop.makePromise(of: String.self)
        promise.completeWithTask(work)
        respond(after: promise.futureResult, head: head, context: context)
    }

    /// Answers 200 with the JSON (or `contentType`) `result` completes with, or the error it fails with. The
    /// pipelining handler holds further requests of the connection meanwhile.
    private func respond(
        after result: EventLoopFuture<String>, contentType: String = "application/json", head: HTTPRequestHead, context: ChannelHandlerContext
    ) {
        result.hop(to: context.eventLoop).assumeIsolated().whenComplete { result in
            switch result {
            case .success(let json):
                self.respond(context: context, status: .ok, json: json, contentType: contentType, keepAlive: head.isKeepAlive)
            case .failure(let error):
                self.respond(context: context, error: error, keepAlive: head.isKeepAlive)
            }
        }
    }

    private static func route(_ head: HTTPRequestHead, listener: Listener) throws -> Route {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? "/"
        let (route, method): (Route, HTTPMethod) = switch path {
        case "/publish": (.publish, .POST)
        case "/events": (.events, .GET)
        case "/healthz": (.health, .GET)
        case "/readyz": (.ready, .GET)
        case "/stats": (.stats, .GET)
        case "/metrics": (.metrics, .GET)
        default: throw EdgeError(.notFound, "no route for \(path); Herald serves POST /publish, GET /events, GET /healthz, GET /readyz, GET /stats and GET /metrics")
        }
        guard head.method == method else {
            throw EdgeError(.methodNotAllowed, "\(path) accepts \(method.rawValue) only", allowedMethods: [method.rawValue])
        }
        switch (route, listener) {
        case (.publish, .streams):
            throw EdgeError(.notFound, "publishing is not served on this address; POST /publish to the internal publish address (--publish-port)")
        case (.events, .publish):
            throw EdgeError(.notFound, "this is the internal publish address; open event streams on the main address")
        case (.stats, .streams), (.metrics, .streams):
            throw EdgeError(.notFound, "\(path) is served on the internal publish address (--publish-port)")
        default:
            return route
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
        if response.status == .internalServerError {
            app.logger.error("request failed", metadata: ["error": "\(error)"])
        } else if response.status.code >= 500 {
            app.logger.warning("request refused, backend not serving", metadata: ["error": "\(error)"])
        }
        respond(context: context, status: response.status, json: response.body, extraHeaders: response.headers, keepAlive: keepAlive)
    }

    private func respond(
        context: ChannelHandlerContext, status: HTTPResponseStatus, json: String, contentType: String = "application/json",
        extraHeaders: [(String, String)] = [], keepAlive: Bool
    ) {
        state = .idle
        app.metrics?.requestAnswered(endpoint: endpoint, status: Int(status.code))  // metrics: requests by endpoint and status
        // why: while shutting down, a load balancer must not reuse this connection for its next requests.
        JSONResponse.write(json, status: status, contentType: contentType, headers: extraHeaders, keepAlive: keepAlive && app.currentPhase == .serving, context: context)
    }
}
