import Logging
import NIOCore
import Synchronization

/// Delivers live events to this node's SSE sessions: each event is encoded once, then written to every
/// local session of its topic by that session's own event loop.
///
/// Brokers call `dispatch` with events in publish order (one call per batch of events read from the
/// backend). Each event loop takes every batch that arrived since its last pass in one go and writes it with
/// one flush per session (see `LoopMailbox`), so a busy node sends several events per socket write; an idle
/// one writes each event at once (see `CoalescingPolicy`).
/// Nothing on this path does per-subscriber backend work, allocation of event bytes, or task hops.
public final class FanOut: Sendable {
    let mailboxes: [LoopMailbox]
    let allocator = ByteBufferAllocator()
    /// Called with every revocation (`observeRevocations(_:)`).
    private let revocationObservers = Mutex<[@Sendable (Revocation) -> Void]>([])
    /// Counts `holdLive` calls; a heal releases only the holds made before it started.
    let holdGeneration = Atomic<UInt64>(0)
    /// The generation of the newest hold of every topic (`holdLive()`).
    let everyTopicHoldGeneration = Atomic<UInt64>(0)
    /// The newest hold of every topic a heal has released; behind `everyTopicHoldGeneration` while live
    /// delivery is held or healing.
    let healedGeneration = Atomic<UInt64>(0)
    /// Topics held on their own (`holdLive(_:)`), with the generation of their newest hold, until healed.
    let heldTopics = Mutex<[Topic: UInt64]>([:])
    /// Events read from history by heals; one addition per heal.
    let eventsBackfilled = Atomic<Int>(0)

    /// - Parameters:
    ///   - heartbeatInterval: an idle stream gets a `: ping` comment about this often
    ///     (at most twice this long apart), so proxies keep it open and dead peers are found.
    ///   - coalescingWindow: the longest a live event waits on a busy loop to share socket writes with the
    ///     events after it. An idle loop writes at once; a loop whose passes keep writing a fan-out's
    ///     connections waits this long after the first event of each pass (`CoalescingPolicy`). Zero (the
    ///     default) always writes at once and coalesces only what arrived while the loop was busy.
    public convenience init(eventLoopGroup: any EventLoopGroup, heartbeatInterval: TimeAmount, coalescingWindow: TimeAmount = .zero) {
        self.init(eventLoopGroup: eventLoopGroup, heartbeatInterval: heartbeatInterval, coalescing: CoalescingPolicy.Configuration(window: coalescingWindow))
    }

    init(eventLoopGroup: any EventLoopGroup, heartbeatInterval: TimeAmount, coalescing: CoalescingPolicy.Configuration) {
        mailboxes = eventLoopGroup.makeIterator().map { loop in
            let registry = NIOLoopBoundBox.makeBoxSendingValue(LoopRegistry(loop: loop, heartbeatInterval: heartbeatInterval), eventLoop: loop)
            return LoopMailbox(registry: registry, coalescing: coalescing)
        }
    }

    /// Registers a new (catching-up) session with its event loop's registry. Call on `session.loop`.
    public func register(_ session: StreamSession) {
        registry(for: session.loop).add(session)
    }

    /// Encodes `events` once and hands them to every event loop, in order.
    public func dispatch(_ events: [StoredEvent]) {
        guard !events.isEmpty else { return }
        let frames = events.map { LiveFrame($0, allocator: allocator) }
        for mailbox in mailboxes {
            mailbox.post(.frames(frames))
        }
    }

    /// The number of open sessions on this node.
    public func sessionCount() async -> Int {
        var total = 0
        for bound in mailboxes.map(\.registry) {
            total += (try? await bound.eventLoop.submit { bound.value.sessionCount }.get()) ?? 0
        }
        return total
    }

    /// Per-topic entries of the fan-out: topics with a session, summed over the event loops.
    public func perTopicEntries() async -> PerTopicEntries {
        var topics = 0
        for bound in mailboxes.map(\.registry) {
            topics += (try? await bound.eventLoop.submit { bound.value.topicCount }.get()) ?? 0
        }
        return PerTopicEntries([(PerTopicEntries.fanOutTopics, topics)])
    }

    /// Closes every session, each at a random moment within `window`, and returns when all are gone.
    /// why: spreading closes over a window keeps all clients of a stopping node from reconnecting at once.
    public func closeAll(spreadOver window: TimeAmount) async {
        // why: every loop starts its closes at once, so the whole node drains within one window.
        for closed in startClosingAll(spreadOver: window) {
            try? await closed.get()
        }
    }

    /// Starts closing every session, each at a random moment within `window`, and returns at once with one
    /// future per event loop, completed when that loop's sessions are gone. The clients resume exactly from
    /// their cursors, on whichever node the load balancer sends them to.
    @discardableResult
    public func startClosingAll(spreadOver window: TimeAmount) -> [EventLoopFuture<Void>] {
        mailboxes.map(\.registry).map { bound in
            bound.eventLoop.flatSubmit { bound.value.closeAll(spreadOver: window) }
        }
    }

    /// Closes the sessions that subscribe to any of `topics`, each at a random moment within `window`;
    /// their clients resume exactly from their cursors.
    public func closeSessions(subscribedTo topics: Set<Topic>, spreadOver window: TimeAmount, reason: StreamCloseReason) {
        guard !topics.isEmpty else { return }
        for bound in mailboxes.map(\.registry) {
            bound.eventLoop.execute { bound.value.closeSessions(subscribedTo: topics, spreadOver: window, reason: reason) }
        }
    }

    /// Ends this node's streams that `revocation` matches, each with its `herald.revoked` event, and returns
    /// how many. A broker calls it for every revocation any node sends (`Broker.broadcast(_:)`).
    @discardableResult
    public func revoke(_ revocation: Revocation) async -> Int {
        for observer in revocationObservers.withLock({ $0 }) { observer(revocation) }
        var total = 0
        for bound in mailboxes.map(\.registry) {
            total += (try? await bound.eventLoop.submit { bound.value.revoke(revocation) }.get()) ?? 0
        }
        return total
    }

    /// Calls `observer` with every revocation this node receives, before its streams end (the edge forgets
    /// the auth hook's answers for it, so that a revoked client's reconnect is asked again).
    public func observeRevocations(_ observer: @escaping @Sendable (Revocation) -> Void) {
        revocationObservers.withLock { $0.append(observer) }
    }

    private func registry(for loop: any EventLoop) -> LoopRegistry {
        for mailbox in mailboxes where mailbox.eventLoop === loop {
            return mailbox.registry.value
        }
        preconditionFailure("session's event loop is not part of the fan-out's event loop group")
    }
}
