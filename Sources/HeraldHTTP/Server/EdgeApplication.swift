import HeraldAuth
import HeraldCore
import HeraldHooks
import HeraldMetrics
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// What every connection of the edge shares: the broker, the fan-out, settings and the shutdown state.
final class EdgeApplication: Sendable {
    /// Where graceful shutdown stands.
    enum Phase: UInt8, AtomicRepresentable {
        /// Serving normally.
        case serving
        /// `/readyz` answers 503 so that load balancers stop sending clients; everything else still works.
        case draining
        /// No longer listening; streams are closing and new ones are refused.
        case closing
    }

    let broker: any Broker
    let fanOut: FanOut
    let opener: StreamOpener
    let configuration: EdgeConfiguration
    let logger: Logger
    let accessLog: AccessLog
    let connectionLimits: ConnectionLimits
    let publishRateLimiter: PublishRateLimiter?
    /// Streams released because their peer vanished, for `/stats`.
    let liveness = LivenessCounters()
    /// The delay sent with temporary refusals of streams.
    let refusalBackoff: RefusalBackoff
    /// Refusals and accept failures, for `/stats`.
    let capacity = CapacityCounters()
    /// When the node started, for `/stats` (`node.uptimeSeconds`).
    let startedAt = ContinuousClock.now
    /// The node's Prometheus metrics; nil when `/metrics` is off.
    let metrics: HeraldMetrics?
    /// Who may open streams; nil when every topic is public (no subscriber auth and no hook).
    let streamAuthorization: StreamAuthorization?
    /// The application's subscribe hook (`--subscribe-auth-url`), when set.
    let subscribeHook: AuthHook?
    /// Who may publish; nil when publishing is open (no publisher credential and no hook).
    let publishAuthorization: PublishAuthorization?
    /// The hooks' HTTP clients, closed by `shutdownHooks()`.
    private let hookCallers: [HTTPAuthHookCaller]
    private let phase = Atomic<Phase>(.serving)
    private let openConnections = Mutex<[ObjectIdentifier: any Channel]>([:])
    private let publishes = Mutex(InFlight())
    /// How to end each open streaming publish when the node stops listening.
    private let streamingPublishes = Mutex<[ObjectIdentifier: @Sendable () -> Void]>([:])

    private struct InFlight {
        var count = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    init(
        broker: any Broker, fanOut: FanOut, configuration: EdgeConfiguration, eventLoopGroup: any EventLoopGroup, logger: Logger,
        metrics: HeraldMetrics?
    ) {
        self.metrics = metrics
        var callers: [HTTPAuthHookCaller] = []
        func hook(_ settings: AuthHookSettings) -> AuthHook {
            let caller = HTTPAuthHookCaller(settings: settings, eventLoopGroup: eventLoopGroup)
            callers.append(caller)
            return AuthHook(settings: settings, caller: caller)
        }
        subscribeHook = configuration.subscribeHook.map(hook)
        let publishHook = configuration.publishHook.map(hook)
        hookCallers = callers
        if let subscribeHook {
            fanOut.observeRevocations { revocation in
                subscribeHook.forget(user: revocation.user, topics: Set(revocation.topics.map(\.name)))
            }
        }
        publishAuthorization = configuration.auth.publisher != nil || publishHook != nil
            ? PublishAuthorization(publisher: configuration.auth.publisher, hook: publishHook) : nil
        if configuration.auth.subscriber != nil || subscribeHook != nil {
            streamAuthorization = StreamAuthorization(
                subscriber: configuration.auth.subscriber ?? SubscriberAuth(verifier: nil, publicTopics: []), hook: subscribeHook
            )
        } else {
            streamAuthorization = nil
        }
        self.broker = broker
        self.fanOut = fanOut
        self.opener = StreamOpener(broker: broker)
        self.configuration = configuration
        self.logger = logger
        self.accessLog = AccessLog(logger: logger, isEnabled: configuration.accessLog)
        self.connectionLimits = ConnectionLimits(maxTotal: configuration.maxConnections, maxPerAddress: configuration.maxConnectionsPerAddress)
        self.publishRateLimiter = configuration.publishRatePerAddress > 0 ? PublishRateLimiter(eventsPerSecond: configuration.publishRatePerAddress) : nil
        self.refusalBackoff = RefusalBackoff(base: configuration.unavailableRetry)
    }

    var currentPhase: Phase { phase.load(ordering: .relaxed) }

    /// Closes the hooks' connection pools (at shutdown, once no stream can open any more).
    func shutdownHooks() async {
        for caller in hookCallers { await caller.shutdown() }
    }

    func enter(_ next: Phase) { phase.store(next, ordering: .relaxed) }

    /// Runs a publish, counted so that shutdown can wait for the publishes in flight.
    func publishing<T: Sendable>(_ work: () async throws -> T) async throws -> T {
        publishStarted()
        defer { publishEnded() }
        return try await work()
    }

    /// `publishing(_:)` for a publish that runs as a future.
    func publishing<T: Sendable>(_ work: () -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        publishStarted()
        let result = work()
        result.whenComplete { _ in self.publishEnded() }
        return result
    }

    private func publishStarted() {
        publishes.withLock { $0.count += 1 }
    }

    private func publishEnded() {
        let waiters = publishes.withLock { inFlight -> [CheckedContinuation<Void, Never>] in
            inFlight.count -= 1
            guard inFlight.count == 0 else { return [] }
            defer { inFlight.waiters = [] }
            return inFlight.waiters
        }
        waiters.forEach { $0.resume() }
    }

    /// Returns once no publish is in flight.
    func publishesFinished() async {
        await withCheckedContinuation { continuation in
            let idle = publishes.withLock { inFlight in
                if inFlight.count > 0 { inFlight.waiters.append(continuation) }
                return inFlight.count == 0
            }
            if idle { continuation.resume() }
        }
    }

    /// Tracks an open streaming publish: `end` is called (from any thread) when the node stops listening.
    func streamingPublishStarted(_ id: ObjectIdentifier, end: @escaping @Sendable () -> Void) {
        streamingPublishes.withLock { $0[id] = end }
    }

    func streamingPublishEnded(_ id: ObjectIdentifier) {
        _ = streamingPublishes.withLock { $0.removeValue(forKey: id) }
    }

    /// Ends every open streaming publish: each stores what it took and answers `503 shutting_down`, saying
    /// what was stored, so its producer goes on with another node instead of losing its connection unanswered.
    func endStreamingPublishes() {
        let ends = streamingPublishes.withLock { Array($0.values) }
        for end in ends { end() }
    }

    /// Counts `channel`, whose client is at `peer` (the socket's peer, or the PROXY header's source), against
    /// the connection limits and tracks it until it closes (so that shutdown can close idle keep-alive
    /// connections); returns why it must be refused instead, if it must. A connection from a trusted proxy
    /// counts against the total only: its clients are counted as their streams open (`admitStream`).
    /// Connections of the separate publish listener may use its share of the descriptor reserve beyond the
    /// limit, so a node full of streams still takes publishes.
    func admit(_ channel: any Channel, listener: RequestRouter.Listener, peer: IPAddress?) -> EdgeError? {
        let address = isTrustedProxy(peer) ? nil : peer?.description
        let headroom = listener == .publish ? DescriptorBudget.publishConnections : 0
        if let refusal = connectionLimits.admit(address: address, headroom: headroom) {
            metrics?.connectionRefused(reason: refusal.code.description)
            return refusal
        }
        metrics?.connectionAccepted()
        let id = ObjectIdentifier(channel)
        openConnections.withLock { $0[id] = channel }
        channel.closeFuture.whenComplete { [weak self] _ in
            self?.connectionLimits.release(address: address)
            _ = self?.openConnections.withLock { $0.removeValue(forKey: id) }
        }
        return nil
    }

    /// The client's address for a request from `peer` with `headers`: the peer's, unless the peer is a
    /// trusted proxy and its header names another (`TrustedProxies`).
    func clientAddress(peer: IPAddress?, headers: HTTPHeaders) -> IPAddress? {
        guard let peer, let proxies = configuration.trustedProxies else { return peer }
        return proxies.clientAddress(peer: peer, headers: headers)
    }

    /// Counts an event stream against the per-address limit until `channel` (the stream's) closes, or returns
    /// why it must be refused: a stream that came through a trusted proxy counts for its `client`, and an
    /// HTTP/2 stream for its `peer` (an HTTP/2 connection counts once at accept, then each of its event
    /// streams, so that a client's streams count alike over HTTP/1.1 and HTTP/2). Does nothing for an
    /// HTTP/1.1 stream of a direct client (`admit` counted its connection).
    func admitStream(on channel: any Channel, peer: IPAddress?, client: IPAddress?, transport: Transport) -> EdgeError? {
        guard configuration.maxConnectionsPerAddress > 0 else { return nil }
        let counted: IPAddress?
        if isTrustedProxy(peer) {
            counted = client
        } else if case .http2 = transport {
            counted = peer
        } else {
            counted = nil
        }
        guard let address = counted?.description else { return nil }
        if let refusal = connectionLimits.admitStream(from: address) {
            metrics?.connectionRefused(reason: refusal.code.description)
            return refusal
        }
        channel.closeFuture.whenComplete { [weak self] _ in self?.connectionLimits.releaseStream(from: address) }
        return nil
    }

    private func isTrustedProxy(_ peer: IPAddress?) -> Bool {
        guard let peer, let proxies = configuration.trustedProxies else { return false }
        return proxies.trusts(peer)
    }

    /// Asks every open connection to finish: HTTP/2 connections send GOAWAY (no new streams; the open ones
    /// end on the drain's schedule), idle HTTP/1.1 keep-alive connections close, busy ones after their response.
    func quiesceConnections() {
        let channels = openConnections.withLock { Array($0.values) }
        for channel in channels {
            channel.eventLoop.execute { channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent()) }
        }
    }

    /// Closes every connection still open.
    func closeAllConnections() async {
        let channels = openConnections.withLock { Array($0.values) }
        for channel in channels { try? await channel.close() }
    }
}
