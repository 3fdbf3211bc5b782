import Logging
import NIOCore

/// The state of one SSE connection: its topics, where it stands in each, and the hand-off from catch-up to live.
///
/// A session is created registered and *catching up*: live events for its topics are buffered while the
/// node reads the missed history. `finishCatchUp` starts the *replay*: the reset notice (if any), the missed
/// events, then the buffered live events that are newer than what was replayed, paced by the connection
/// (see `StreamSession+Replay.swift`); live events go on being buffered meanwhile. Once all is written the
/// session is *live*: live events are written as they arrive. Deduplication is by ordinal: an event at or before the
/// session's position in its topic is dropped; an event further ahead than the next ordinal means something
/// was missed on the live path, and the session closes so that the client resumes exactly from its cursor.
///
/// A session is confined to its event loop: create it, and call every method, on that loop.
public final class StreamSession {
    public let topics: [Topic]
    /// Who the client is, when the auth hook said (for revocation by user).
    public var user: String?
    /// Where the client stands in each topic; the connection's cursor.
    var positions: [TopicPosition]
    let loop: any EventLoop
    let output: any StreamOutput
    let logger: Logger

    enum Phase { case catchingUp, replaying, live, closed }
    var phase = Phase.catchingUp
    /// Live events received before the session went live, oldest first, and their encoded size.
    /// Live events held until the catch-up is written. why: nil (no storage) until one arrives: an idle
    /// stream must not carry an allocated queue, which cost 5.6 KB per connection when it did.
    var buffered: CircularBuffer<(topicIndex: Int, frame: LiveFrame)>?
    var bufferedBytes = 0
    /// Set once `buffered` passed `bufferedLiveLimit`: the stream is closing, nothing more is buffered.
    var bufferOverflowed = false
    /// Most bytes of live events buffered before going live; beyond it the stream closes (the client resumes).
    let bufferedLiveLimit: Int
    /// How long a replay may wait for the connection to take more bytes before the stream is cut.
    let replayStallLimit: TimeAmount?
    /// The replay in progress: the plan, the next event to write, where each topic stands once it is written.
    var replay: (plan: CatchUpPlan, next: Int, end: [TopicPosition])?
    var isPumpingReplay = false
    var replayStallTimer: Scheduled<Void>?
    private var subscription: BrokerSubscription?
    var hasSentID = false
    /// Events written to the connection (replayed and live), for its access log line.
    public internal(set) var eventsWritten = 0

    // Bookkeeping of the loop registry: slot of this session in each topic's member list, and in the session list.
    var memberSlots: [Int]
    var sessionSlot = -1
    var registry: LoopRegistry?
    var wroteSinceHeartbeat = false
    var needsFlush = false
    /// Set when the live feed was lost during catch-up: the history read may have missed events.
    var catchUpIsStale = false

    /// Creates a catching-up session. `topics` must be sorted and unique (`StreamRequest` guarantees it).
    /// - Parameters:
    ///   - bufferedLiveLimit: bytes of live events held while catching up and replaying; past it, the stream
    ///     closes and its client resumes from its cursor. why: a client that takes its replay slowly while
    ///     its topics are busy must not make the node hold an unbounded backlog for it.
    ///   - replayStallLimit: how long a replay may wait for a connection that takes no more bytes before the
    ///     stream is cut; nil waits as long as the connection stays open.
    public init(
        topics: [Topic], loop: any EventLoop, output: any StreamOutput, logger: Logger,
        bufferedLiveLimit: Int = .max, replayStallLimit: TimeAmount? = nil
    ) {
        precondition(!topics.isEmpty && zip(topics, topics.dropFirst()).allSatisfy { $0 < $1 }, "topics sorted and unique")
        self.topics = topics
        self.positions = Array(repeating: .none, count: topics.count)
        self.memberSlots = Array(repeating: -1, count: topics.count)
        self.loop = loop
        self.output = output
        self.logger = logger
        self.bufferedLiveLimit = bufferedLiveLimit
        self.replayStallLimit = replayStallLimit
    }

    /// True once the connection is gone or the session was closed.
    public var isClosed: Bool { phase == .closed }
    var isCatchingUp: Bool { phase == .catchingUp }
    var isLive: Bool { phase == .live }

    /// The connection's current cursor, as sent in `id:` fields.
    public var cursor: Cursor { Cursor(topics: topics, positions: positions) }

    /// Ends catch-up: writes the reset notice of `plan`, then replays its events and the buffered live
    /// events it does not already contain, as fast as the connection takes them, and goes live.
    /// If the session closed meanwhile, the subscription is cancelled at once.
    public func finishCatchUp(_ plan: CatchUpPlan, subscription: BrokerSubscription) {
        loop.preconditionInEventLoop()
        guard phase == .catchingUp, !bufferOverflowed else {
            subscription.cancel()
            return
        }
        guard !catchUpIsStale else {
            subscription.cancel()
            return failCatchUp(HeraldError(.backendUnavailable, "live delivery was interrupted while this stream opened; reconnect to resume"))
        }
        self.subscription = subscription
        positions = plan.baseline
        if !plan.resets.isEmpty {
            for reset in plan.resets { registry?.counters.countReset(reset.reason) }
            write(WireChunk { plan.writeResetEvent(id: cursor.encoded, to: &$0) })
            hasSentID = true
        }
        startReplay(plan)
    }

    /// Ends catch-up with an error: tells the client in a `herald.unavailable` notice (`RetryNotice`: a
    /// jittered `retry:` and the reason, no id) and closes the stream, so EventSource reconnects (possibly to
    /// a healthier node) after that delay and resumes from its last event.
    public func failCatchUp(_ error: HeraldError) {
        loop.preconditionInEventLoop()
        guard phase == .catchingUp else { return }
        let notice = RetryNotice(code: error.code.description, message: error.message, retryAfterMilliseconds: output.unavailableRetryMilliseconds)
        write(WireChunk { notice.append(to: &$0) })
        flushIfNeeded()
        close(reason: .backendUnavailable)
    }

    /// Handles one live event of topic `topics[topicIndex]`: buffers it during catch-up, otherwise writes it
    /// unless it is a duplicate. `memo` shares the encoded cursor between sessions in the same position.
    func receive(_ frame: LiveFrame, topicIndex: Int, memo: inout CursorChunkMemo) {
        switch phase {
        case .closed:
            return
        case .catchingUp, .replaying:
            hold(frame, topicIndex: topicIndex)
        case .live:
            writeLive(frame, topicIndex: topicIndex, memo: &memo)
        }
    }

    /// Writes one live event unless the session has it already; closes the stream on a gap.
    /// Handles a run of consecutive live events of `topics[topicIndex]`: a live one-topic session standing
    /// just before the run gets `merged` (the whole run in one chunk); any other takes the events one by one.
    func receive(_ run: ArraySlice<LiveFrame>, merged: WireChunk, topicIndex: Int, memo: inout CursorChunkMemo) {
        guard phase == .live, topics.count == 1, let first = run.first, let last = run.last, first.position.isNext(after: positions[topicIndex]) else {
            for frame in run { receive(frame, topicIndex: topicIndex, memo: &memo) }
            return
        }
        positions[topicIndex] = last.position
        hasSentID = true
        eventsWritten += run.count
        registry?.counters.eventsDelivered &+= run.count
        write(merged)
    }

    func writeLive(_ frame: LiveFrame, topicIndex: Int, memo: inout CursorChunkMemo) {
        let current = positions[topicIndex]
        let next = frame.position
        guard next.isNext(after: current) else {
            // An event at or before the position is a duplicate, unless the history was rewound and its
            // ordinals given again (the resume then says so); one further ahead means events were missed.
            if next.rewrites(current) { return closeAfterLiveGap(topicIndex, expected: current, got: next, rewound: true) }
            if next.epoch == current.epoch, next.id.ordinal <= current.id.ordinal { return }
            return closeAfterLiveGap(topicIndex, expected: current, got: next)
        }
        positions[topicIndex] = next
        hasSentID = true
        eventsWritten += 1
        registry?.counters.eventsDelivered &+= 1
        if topics.count == 1 {
            write(frame.complete)
        } else {
            write(frame.fields)
            write(memo.idChunk(topics: topics, positions: positions))
        }
    }

    /// Writes a heartbeat comment if nothing was written since the last heartbeat tick.
    func heartbeat(_ ping: WireChunk) {
        guard phase != .closed else { return }
        if !wroteSinceHeartbeat {
            write(ping)
        }
        wroteSinceHeartbeat = false
    }

    /// Closes the connection from the server side (shutdown, a gap on the live path, a failed catch-up).
    public func close(reason: StreamCloseReason) {
        guard phase != .closed else { return }
        output.close(reason: reason)
    }

    /// Tells the session its connection is gone: unregisters it and releases its live interest.
    public func connectionClosed() {
        loop.preconditionInEventLoop()
        guard phase != .closed else { return }
        phase = .closed
        buffered = nil
        replay = nil
        replayStallTimer?.cancel()
        replayStallTimer = nil
        registry?.remove(self)
        subscription?.cancel()
        subscription = nil
    }

    func write(_ chunk: WireChunk) {
        output.write(chunk)
        wroteSinceHeartbeat = true
        if !needsFlush {
            needsFlush = true
            registry?.markNeedsFlush(self)
        }
    }

    func flushIfNeeded() {
        guard needsFlush else { return }
        needsFlush = false
        output.flush()
    }

    private func closeAfterLiveGap(_ topicIndex: Int, expected: TopicPosition, got: TopicPosition, rewound: Bool = false) {
        logger.warning(
            rewound
                ? "live event rewrites the topic's history (a failover lost events), closing stream so the client resumes and is told"
                : "live event gap, closing stream so the client resumes from its cursor",
            metadata: [
                LogKeys.topic: "\(topics[topicIndex])",
                LogKeys.position: "\(expected)",
                LogKeys.receivedPosition: "\(got)",
            ].merging(output.logMetadata) { $1 }
        )
        flushIfNeeded()
        close(reason: .liveGap)
    }
}

/// Remembers the last encoded multi-topic cursor during one dispatch, so that sessions standing at the same
/// positions (the normal case once live) share one encoded `id:` chunk.
struct CursorChunkMemo {
    private var topics: [Topic] = []
    private var positions: [TopicPosition] = []
    private var chunk: WireChunk?

    mutating func idChunk(topics: [Topic], positions: [TopicPosition]) -> WireChunk {
        if let chunk, topics == self.topics, positions == self.positions { return chunk }
        let cursor = Cursor(topics: topics, positions: positions)
        let encoded = WireChunk { SSEEncoder.appendIDAndEnd(cursor.encoded, to: &$0) }
        self.topics = topics
        self.positions = positions
        self.chunk = encoded
        return encoded
    }
}
