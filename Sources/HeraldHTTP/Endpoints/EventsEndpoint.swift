import HeraldCore
import HeraldWire
import NIOCore
import NIOHTTP1

/// `GET /events?topic=a&topic=b[&lastEventId=…]`: validates the request, sends the response head at once,
/// and turns the connection into an event stream served by `SSEConnectionHandler` and a `StreamSession`.
enum EventsEndpoint {
    /// Reads the topics and the resume cursor. The `Last-Event-ID` header (what a browser sends when it
    /// reconnects) wins over the `lastEventId` query parameter (the position a page was rendered at),
    /// because a reconnecting EventSource repeats the original URL. Also returns the `access_token` parameter.
    static func parse(head: HTTPRequestHead, configuration: EdgeConfiguration) throws -> (StreamRequest, accessToken: String?) {
        let query = head.uri.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
        let parameters: [(name: String, value: String)]
        do {
            parameters = try FormDecoder.decode(Array(query.utf8))
        } catch {
            throw EdgeError(.invalidQuery, "the query string is not valid: \(error)")
        }
        let topics = try parameters.filter { $0.name == "topic" }.map { try Topic($0.value) }
        guard !topics.isEmpty else {
            throw EdgeError(.missingTopic, "no topic given; subscribe with /events?topic=orders/42 (repeat topic= for several)")
        }
        let unique = Set(topics).count
        guard unique <= configuration.maxTopicsPerConnection else {
            throw HeraldError(.tooManyTopics, "\(unique) topics requested; one connection may subscribe to at most \(configuration.maxTopicsPerConnection)")
        }
        let header = head.headers.first(name: "last-event-id").flatMap { $0.isEmpty ? nil : $0 }
        let parameter = parameters.last(where: { $0.name == "lastEventId" }).flatMap { $0.value.isEmpty ? nil : $0.value }
        let cursor = try (header ?? parameter).map { text throws(HeraldError) in try Cursor(encoded: text.trimmingSpaces) }
        let accessToken = parameters.last(where: { $0.name == "access_token" })?.value
        return (StreamRequest(topics: topics, cursor: cursor), accessToken)
    }

    /// Moves the connection to an `SSEConnectionHandler`, registers the session (buffering live events) and
    /// starts its catch-up. The response head and the `retry:` prelude go out with the session's first bytes,
    /// once live delivery is active and the starting position is known: an event published after a client
    /// saw the response head is therefore always delivered to it, even on a fresh stream.
    /// With `openFor`, the stream ends after that long (its token expired) with a `herald.token-expired` event;
    /// `user` (from the subscribe hook) lets `POST /disconnect` find it.
    static func start(
        _ request: StreamRequest,
        openFor: Duration? = nil,
        user: String? = nil,
        head: HTTPRequestHead,
        access: AccessLog.Request,
        context: ChannelHandlerContext,
        app: EdgeApplication,
        transport: Transport,
        handlersToRemove: [any RemovableChannelHandler]
    ) throws {
        let extraHeaders = [(RequestID.headerName, access.id)] + (app.configuration.cors?.responseHeaders(origin: head.headers.first(name: "origin")) ?? [])
        let retry = app.configuration.retryInterval
        switch transport {
        case .http1:
            // why: HTTP/1.0 peers (nginx's default upstream protocol) cannot read chunked bodies; they get a
            // close-delimited body with the same SSE bytes.
            let chunked = (head.version.major, head.version.minor) >= (1, 1)
            let bytes = ResponseHead.bytes(chunked: chunked, retry: retry, extraHeaders: extraHeaders)
            let output = SSEConnectionHandler(
                framing: HTTP1Framing(chunked: chunked), responseHead: [bytes], responseHeadBytes: bytes.readableBytes,
                bufferLimit: app.configuration.slowClientBufferLimit, app: app, requestID: access.id, client: access.client, opened: access.start
            )
            try begin(request, openFor: openFor, user: user, output: output, context: context, app: app, handlersToRemove: handlersToRemove)
        case .http2(let budget):
            let prelude = ResponseHead.prelude(retry: retry).payload
            let output = SSEConnectionHandler(
                framing: HTTP2Framing(), responseHead: [.head(ResponseHead.http2(extraHeaders: extraHeaders)), .body(.byteBuffer(prelude))],
                responseHeadBytes: prelude.readableBytes, connectionBudget: budget,
                bufferLimit: app.configuration.slowClientBufferLimit, app: app, requestID: access.id, client: access.client, opened: access.start
            )
            try begin(request, openFor: openFor, user: user, output: output, context: context, app: app, handlersToRemove: handlersToRemove)
        }
    }

    /// Puts `output` in place of the request handlers, registers the session and starts its catch-up.
    private static func begin<Framing: SSEFraming>(
        _ request: StreamRequest, openFor: Duration?, user: String?, output: SSEConnectionHandler<Framing>, context: ChannelHandlerContext,
        app: EdgeApplication, handlersToRemove: [any RemovableChannelHandler]
    ) throws {
        let pipeline = context.pipeline.syncOperations
        // why: in front of the HTTP handlers it replaces, behind TLS (and HTTP/2's codec) when the connection
        // has them: the socket side of the pipeline stays as it was.
        try pipeline.addHandler(output, position: handlersToRemove.first.map { .before($0) } ?? .first)
        for handler in handlersToRemove { pipeline.removeHandler(handler, promise: nil) }

        let loop = context.eventLoop
        let session = StreamSession(
            topics: request.topics, loop: loop, output: output, logger: app.logger,
            bufferedLiveLimit: app.configuration.slowClientBufferLimit, replayStallLimit: app.configuration.replayStallLimit
        )
        session.user = user
        output.session = session
        app.fanOut.register(session)
        if let openFor {
            // why: one timer per expiring stream only; anonymous and token-less streams schedule nothing.
            output.expiry = loop.assumeIsolated().scheduleTask(in: TimeAmount(openFor)) {
                session.expire(message: "the access token expired; refresh it and reconnect")
            }
        }

        let bound = NIOLoopBound((session: session, output: output), eventLoop: loop)
        let opener = app.opener
        // why: the catch-up task belongs to the connection: SSEConnectionHandler cancels it when the
        // connection closes. Once live, the connection has no task at all: the finished task is released
        // (a retained one kept its allocations, ~3 KB per idle connection).
        output.catchUp = Task {
            do {
                let (subscription, plan) = try await opener.open(request)
                loop.execute {
                    bound.value.output.catchUp = nil
                    bound.value.session.finishCatchUp(plan, subscription: subscription)
                }
            } catch {
                let failure = error as? HeraldError
                    ?? HeraldError(.backendUnavailable, "the topic history could not be read; the stream will reconnect", underlying: error)
                loop.execute {
                    bound.value.output.catchUp = nil
                    bound.value.session.failCatchUp(failure)
                }
            }
        }
    }

    /// The bytes every event stream starts with: status line, headers and the `retry:` field.
    enum ResponseHead {
        /// HTTP/1.x: the status line, headers and prelude as raw bytes (the HTTP encoder has left the pipeline).
        static func bytes(chunked: Bool, retry: TimeAmount, extraHeaders: [(String, String)] = []) -> ByteBuffer {
            var head = ByteBuffer(string: chunked ? "HTTP/1.1 200 OK\r\n" : "HTTP/1.0 200 OK\r\n")
            head.writeString("content-type: text/event-stream\r\ncache-control: no-cache\r\nx-accel-buffering: no\r\n")
            for (name, value) in extraHeaders { head.writeString("\(name): \(value)\r\n") }
            head.writeString(chunked ? "transfer-encoding: chunked\r\n\r\n" : "connection: close\r\n\r\n")
            let prelude = prelude(retry: retry)
            head.writeImmutableBuffer(chunked ? prelude.chunked : prelude.payload)
            return head
        }

        /// HTTP/2: the head the stream's codec turns into a HEADERS frame.
        static func http2(extraHeaders: [(String, String)]) -> HTTPResponseHead {
            HTTPResponseHead(
                version: .http2, status: .ok,
                headers: HTTPHeaders([("content-type", "text/event-stream"), ("cache-control", "no-cache")] + extraHeaders)
            )
        }

        /// The `retry:` field every stream starts with.
        static func prelude(retry: TimeAmount) -> WireChunk {
            WireChunk { SSEEncoder.appendRetry(milliseconds: Int(retry.nanoseconds / 1_000_000), to: &$0) }
        }
    }
}
