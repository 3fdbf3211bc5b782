import HeraldAuth
import HeraldCore
import HeraldWire
import NIOCore
import NIOHTTP1

/// `POST /publish` with `Content-Type: application/x-ndjson`: a body that stays open while its events are
/// produced (a language model's tokens), one JSON object a line, each stored and fanned out as soon as its
/// line is complete. `StreamingPublishMachine` decides what to store and when; this type reads the lines,
/// checks them, stores them through the broker and answers through `finish`.
///
/// - `?topic=` names the topic of lines without one; `Idempotency-Key: K` gives line N the key `K:N`, so a
///   retry of the whole stream stores each line once.
/// - Publisher auth is checked once (the credential), then for each line's topic.
/// - Bounds: `maxStreamLineSize` bytes a line, `maxStreamLines` lines, `--request-timeout` between lines
///   (the clock stops while the node itself holds reading back), the per-address publish rate per batch.
/// - The answer, when the body ends: `{"count":N,"lastId":"…","ids":[…]}`; a bad line ends the request at
///   once with its JSON error, which says which line and what was stored (`StreamingPublishFailure`).
/// Runs on the connection's event loop only.
final class StreamingPublish {
    /// What the request's head says besides the body.
    struct Parameters: Sendable {
        /// The topic of lines that name none (`?topic=`).
        var defaultTopic: String?
        /// The `Idempotency-Key` header; line N gets `<key>:N`.
        var idempotencyKey: String?
    }

    /// The media type of a streaming publish body.
    static let mediaType = "application/x-ndjson"

    /// Whether `head` asks for a streaming publish.
    static func isStreaming(_ head: HTTPRequestHead) -> Bool {
        guard let type = head.headers.first(name: "content-type")?.split(separator: ";", maxSplits: 1).first else { return false }
        return type.trimmingSpaces.lowercased() == mediaType
    }

    /// Reads `?topic=` and `Idempotency-Key`, refusing anything else in the query.
    static func parameters(of head: HTTPRequestHead) throws -> Parameters {
        var parameters = Parameters(defaultTopic: try PublishEndpoint.queryTopic(of: head))
        parameters.idempotencyKey = head.headers.first(name: "idempotency-key")
        if let key = parameters.idempotencyKey { try IdempotencyKey.validate(key) }
        return parameters
    }

    /// Whether the credential is known and each line's topic can be checked.
    private enum Access {
        /// The credential is being verified; the body's bytes wait here (reading is held back meanwhile).
        case checking(buffered: [ByteBuffer], bodyEnded: Bool)
        /// Publishing is open to anyone.
        case open
        case granted(PublishAuthorization.Grant)
    }

    private let app: EdgeApplication
    private let context: ChannelHandlerContext
    private let parameters: Parameters
    /// The client's address, for the per-address publish rate and the application's auth hook.
    private let client: String?
    private let finish: (EndpointResponse) -> Void
    private let wantsInputAgain: () -> Void
    private var machine: StreamingPublishMachine
    private var reader: NDJSONLineReader
    private var access = Access.open
    /// When the next line must be complete; the one timer is set again when it fires early.
    private var expiry: NIODeadline
    private var timer: Scheduled<Void>?

    /// - Parameters:
    ///   - client: the client's address, for the per-address publish rate and the auth hook.
    ///   - finish: answers the request (once); a failure closes the connection (`connection: close`).
    ///   - wantsInputAgain: called when reading, held back by `wantsInput`, may go on.
    init(
        parameters: Parameters, app: EdgeApplication, context: ChannelHandlerContext, client: String?,
        finish: @escaping (EndpointResponse) -> Void, wantsInputAgain: @escaping () -> Void
    ) {
        let configuration = app.configuration
        self.app = app
        self.context = context
        self.parameters = parameters
        self.client = client
        self.finish = finish
        self.wantsInputAgain = wantsInputAgain
        self.machine = StreamingPublishMachine(maxBatch: configuration.maxBatchSize, idsLimit: configuration.maxBatchSize)
        self.reader = NDJSONLineReader(maxLineBytes: configuration.maxStreamLineSize)
        self.expiry = .now() + configuration.requestLimits.requestTimeout
    }

    /// Whether more of the body should be read now.
    var wantsInput: Bool {
        if case .checking = access { return false }
        return machine.wantsInput
    }

    /// Whether reading must wait: the body is still being taken, but not now (a batch waits, or the
    /// credential is being checked). After the body ended, reading is not this request's business.
    var holdsReadingBack: Bool { machine.acceptsLines && !wantsInput }

    /// Checks the credential of `head` and starts the clock for the first line.
    func start(head: HTTPRequestHead) {
        scheduleTimer()
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        app.streamingPublishStarted(ObjectIdentifier(self)) {
            bound.eventLoop.execute { bound.value.shutDown() }
        }
        guard let authorization = app.publishAuthorization else { return }
        if let grant = authorization.immediateGrant(bearer: BearerCredentials.authorizationHeader(head.headers)) {
            access = .granted(grant)
            return
        }
        access = .checking(buffered: [], bodyEnded: false)
        let checked = context.eventLoop.makePromise(of: PublishAuthorization.Grant.self)
        let (topics, client) = (parameters.defaultTopic.flatMap { try? Topic($0) }.map { [$0] } ?? [], client)
        checked.completeWithTask { try await authorization.grant(for: topics, head: head, client: client) }
        checked.futureResult.assumeIsolated().whenComplete { result in
            guard case .checking(let buffered, let bodyEnded) = self.access else { return }
            switch result {
            case .success(let grant):
                self.access = .granted(grant)
                for bytes in buffered { self.receive(bytes) }
                if bodyEnded { self.bodyEnded() }
                if self.wantsInput { self.wantsInputAgain() }
            case .failure(let error):
                self.perform(self.machine.refused(error, line: nil))
            }
        }
    }

    /// The next bytes of the body.
    func receive(_ bytes: ByteBuffer) {
        guard machine.acceptsLines else { return }
        if case .checking(var buffered, let bodyEnded) = access {
            buffered.append(bytes)
            access = .checking(buffered: buffered, bodyEnded: bodyEnded)
            return
        }
        var lines: [ByteBuffer] = []
        var refusal: (any Error, line: Int?)?
        do {
            try reader.read(bytes, into: &lines)
        } catch {
            refusal = (error, error.line)
        }
        var events: [NewEvent] = []
        events.reserveCapacity(lines.count)
        // why: a line over the limit is counted by neither; the lines before it are the last ones counted.
        var number = reader.lineCount - lines.count
        for line in lines {
            number += 1
            do {
                events.append(try event(from: line, number: number))
            } catch {
                refusal = (error, number)
                break
            }
        }
        if !events.isEmpty {
            expiry = .now() + app.configuration.requestLimits.requestTimeout
            perform(machine.received(events))
        }
        if let refusal { perform(machine.refused(refusal.0, line: refusal.line)) }
    }

    /// The body ended.
    func bodyEnded() {
        if case .checking(let buffered, _) = access {
            access = .checking(buffered: buffered, bodyEnded: true)
            return
        }
        do {
            try reader.finish()
            perform(machine.bodyEnded())
        } catch {
            perform(machine.refused(error, line: error.line))
        }
    }

    /// The connection closed: nothing more is stored or answered.
    func connectionClosed() {
        machine.closed()
        end()
    }

    /// The node stops listening: no more lines are taken; those taken are stored, then `503 shutting_down`.
    private func shutDown() {
        perform(machine.refused(EdgeError(.shuttingDown, "this node is shutting down; send the rest of the stream to another node"), line: nil))
    }

    /// The event of line `number`, checked; throws what is wrong with it.
    private func event(from line: ByteBuffer, number: Int) throws -> NewEvent {
        let configuration = app.configuration
        guard number <= configuration.maxStreamLines else {
            throw EdgeError(.streamTooLong, "the stream is longer than the limit of \(configuration.maxStreamLines) lines; end the request and send the rest in a new one")
        }
        guard app.currentPhase != .closing else {
            throw EdgeError(.shuttingDown, "this node is shutting down; send the rest of the stream to another node")
        }
        var message = try PublishBodyParser.parseLine(line, lineNumber: number, defaultTopic: parameters.defaultTopic)
        if let key = parameters.idempotencyKey {
            guard message.idempotencyKey == nil else {
                throw HeraldError(.invalidIdempotencyKey, "both the Idempotency-Key header and an idempotencyKey field are given; use one of them")
            }
            message.idempotencyKey = "\(key):\(number)"
        }
        let event = try PublishEndpoint.event(from: message, maxEventSize: configuration.maxEventSize)
        if case .granted(let grant) = access { try grant.authorize([event.topic]) }
        return event
    }

    private func perform(_ action: StreamingPublishMachine.Action) {
        switch action {
        case .none:
            break
        case .publish(let events):
            publish(events)
        case .succeed(let summary):
            end()
            finish(.json(summary.json))
        case .fail(let failure):
            end()
            finish(HTTPErrorResponse(failure).response())
        }
    }

    /// Stores `events` (one batch, in order) and tells the machine how it went.
    private func publish(_ events: [NewEvent]) {
        if let limiter = app.publishRateLimiter, let address = client {
            do {
                try limiter.admit(events.count, from: address)
            } catch {
                return perform(machine.publishFailed(error, mayHaveStored: false))
            }
        }
        let (app, loop) = (app, context.eventLoop)
        let started = NIODeadline.now()  // metrics: publish latency, accept → acknowledged
        let stored = app.publishing { app.broker.publish(events, on: loop) }
        stored.hop(to: loop).assumeIsolated().whenComplete { result in
            switch result {
            case .success(let positions):
                app.metrics?.published(events: events.count, nanoseconds: (NIODeadline.now() - started).nanoseconds)
                self.perform(self.machine.published(positions, of: events))
                if self.wantsInput { self.wantsInputAgain() }
            case .failure(let error):
                self.perform(self.machine.publishFailed(error, mayHaveStored: true))
            }
        }
    }

    private func end() {
        timer?.cancel()
        timer = nil
        app.streamingPublishEnded(ObjectIdentifier(self))
    }

    /// Fires at `expiry`: refuses the stream when no line came in time while the node was reading.
    private func scheduleTimer() {
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: expiry) { [self] in
            timer = nil
            guard !machine.isFinished else { return }
            let now = NIODeadline.now()
            // why: while the node holds reading back (a batch waits, the credential is checked), the client is not late.
            if !wantsInput, machine.acceptsLines { expiry = now + app.configuration.requestLimits.requestTimeout }
            guard expiry <= now else { return scheduleTimer() }
            let seconds = Double(app.configuration.requestLimits.requestTimeout.nanoseconds) / 1e9
            perform(machine.refused(
                EdgeError(.requestTimeout, "no complete line arrived within \(seconds) s; write each line as it is produced and end the body when the stream is over"),
                line: nil
            ))
        }
    }
}
