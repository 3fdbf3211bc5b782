import NIOCore

/// The sessions of one event loop, indexed by topic; confined to that loop.
///
/// Delivery of a batch of live frames is one pass per frame over the topic's members, writing the shared
/// bytes, then one flush per touched session. Adding and removing a session are O(topics of the session).
final class LoopRegistry {
    /// The sessions of one topic on this loop, and what the loop delivered to them.
    final class Members {
        var list: ContiguousArray<(session: StreamSession, topicIndex: Int)> = []
        /// Events of the topic written to its sessions since the entry was made: a plain integer, as the
        /// registry is confined to its loop. why: `/stats` turns it into events/s; counting costs one add per run.
        var delivered = 0
        var rate: DeliveryRate
        /// When a pass last wrote the topic (`handle(_:at:sharedSince:)`), for the coalescing decision.
        var lastWritten: NIODeadline?

        init(now: NIODeadline) {
            rate = DeliveryRate(now: now)
        }
    }

    let loop: any EventLoop
    private let allocator = ByteBufferAllocator()
    private(set) var byTopic: [Topic: Members] = [:]
    private var sessions: ContiguousArray<StreamSession> = []
    private var needingFlush: [StreamSession] = []
    private var flushing: [StreamSession] = []
    /// True while `handle` or a heartbeat runs: `needingFlush` is flushed at its end.
    private var inPass = false
    /// True while a flush pass for sessions written to outside a pass is scheduled.
    private var flushScheduled = false
    private var heartbeatTask: Scheduled<Void>?
    private let heartbeatInterval: TimeAmount
    private let ping = WireChunk { SSEEncoder.appendComment("ping", to: &$0) }
    private var drainWaiters: [EventLoopPromise<Void>] = []
    /// Live frames held back while live delivery heals (all topics, or one Redis Cluster shard's).
    private var hold = LiveHold()
    /// The current pass's start and sharing horizon, its deliveries (events × sessions of their topic) and
    /// those of them to topics written within the horizon (`handle(_:at:sharedSince:)`).
    private var passStarted = NIODeadline.uptimeNanoseconds(0)
    private var passSharingSince = NIODeadline.distantFuture
    private var passDeliveries = 0
    private var passRecentDeliveries = 0
    /// Events delivered and replayed, resets sent, by this loop's sessions (read by `FanOut.counters()`).
    var counters = LoopCounters()
    init(loop: any EventLoop, heartbeatInterval: TimeAmount) {
        self.loop = loop
        self.heartbeatInterval = heartbeatInterval
    }

    var sessionCount: Int { sessions.count }

    /// Topics with at least one session on this loop: the registry's only per-topic entries.
    var topicCount: Int { byTopic.count }

    func add(_ session: StreamSession) {
        session.registry = self
        session.sessionSlot = sessions.count
        sessions.append(session)
        for (index, topic) in session.topics.enumerated() {
            let members = byTopic[topic] ?? { let created = Members(now: .now()); byTopic[topic] = created; return created }()
            session.memberSlots[index] = members.list.count
            members.list.append((session, index))
        }
        if heartbeatTask == nil { scheduleHeartbeat() }
    }

    func remove(_ session: StreamSession) {
        guard session.registry === self else { return }
        for (index, topic) in session.topics.enumerated() {
            guard let members = byTopic[topic] else { continue }
            let slot = session.memberSlots[index]
            let moved = members.list.removeLast()
            if slot < members.list.count {
                members.list[slot] = moved
                moved.session.memberSlots[moved.topicIndex] = slot
            }
            if members.list.isEmpty { byTopic[topic] = nil }
        }
        byTopic.shrinkIfMostlyEmpty()
        let moved = sessions.removeLast()
        if session.sessionSlot < sessions.count {
            sessions[session.sessionSlot] = moved
            moved.sessionSlot = session.sessionSlot
        }
        session.registry = nil
        if sessions.isEmpty {
            heartbeatTask?.cancel()
            heartbeatTask = nil
            drainWaiters.forEach { $0.succeed() }
            drainWaiters = []
        }
    }

    /// Handles what the loop's mailbox gathered since the last pass, in order, then flushes each session
    /// written to once. Returns the pass's shared deliveries (`CoalescingPolicy.Pass.sharedDeliveries`): the
    /// deliveries beyond one per session written (events that shared a session's write), plus, per run of a
    /// topic last written at or after `sharedSince`, one per session of the topic (its first event would have
    /// shared the earlier write had the loop waited).
    @discardableResult
    func handle(_ messages: [LoopMailbox.Message], at now: NIODeadline, sharedSince: NIODeadline) -> Int {
        inPass = true
        passStarted = now
        passSharingSince = sharedSince
        passDeliveries = 0
        passRecentDeliveries = 0
        var frames: [LiveFrame] = []
        // why: consecutive batches are written together, so runs of a topic span the batches of the pass.
        for message in messages {
            switch message {
            case .frames(let batch):
                frames += batch
            case .hold(let generation, let topics):
                deliver(frames)
                frames = []
                startHold(generation: generation, topics: topics)
            case .releaseHold(let generation, let healed, let everyTopic, let backfill, let unhealed):
                deliver(frames)
                frames = []
                releaseHold(generation: generation, healed: healed, everyTopic: everyTopic, backfill: backfill, closingSubscribersOf: unhealed)
            }
        }
        deliver(frames)
        inPass = false
        let sessionsWritten = flushPending()
        // why: a session still catching up holds its events without writing them; they share nothing.
        return max(passDeliveries - sessionsWritten, 0) + passRecentDeliveries
    }

    private func deliver(_ frames: [LiveFrame]) {
        guard !frames.isEmpty else { return }
        write(hold.isEmpty ? frames : hold.admit(frames))
    }

    /// Writes `frames` to their topics' sessions; the caller flushes.
    private func write(_ frames: [LiveFrame]) {
        var start = frames.startIndex
        while start < frames.endIndex {
            // why: a busy loop gathers several events of a topic in one pass; a run of consecutive ones goes to
            // each one-topic session as one chunk (one write and one pending-write entry instead of one per event).
            var end = start + 1
            while end < frames.endIndex, frames[end].follows(frames[end - 1]) { end += 1 }
            let run = frames[start..<end]
            start = end
            guard let members = byTopic[run[run.startIndex].topic] else { continue }
            members.delivered &+= run.count
            countDeliveries(members, runLength: run.count)
            let merged = run.count > 1 ? LiveFrame.merged(run, allocator: allocator) : nil
            var memo = CursorChunkMemo()
            // why: iterating a copy keeps the loop valid if a session closes (and unregisters) while written to.
            for member in members.list {
                if let merged {
                    member.session.receive(run, merged: merged, topicIndex: member.topicIndex, memo: &memo)
                } else {
                    member.session.receive(run[run.startIndex], topicIndex: member.topicIndex, memo: &memo)
                }
            }
        }
    }

    /// Counts a run's deliveries for `handle`'s shared deliveries (see `CoalescingPolicy.Pass`).
    private func countDeliveries(_ members: Members, runLength: Int) {
        let sessions = members.list.count
        passDeliveries &+= sessions &* runLength
        if let last = members.lastWritten, last >= passSharingSince { passRecentDeliveries &+= sessions }
        members.lastWritten = passStarted
    }

    // MARK: Healing a lost live feed (see `FanOut+Healing.swift`)

    /// Holds the live frames of `topics` (nil: of every topic) until a heal releases them. A session still
    /// catching up on a held topic may have read its history after the feed was lost, so it will reconnect
    /// when its catch-up ends.
    private func startHold(generation: UInt64, topics: Set<Topic>?) {
        hold.hold(generation: generation, topics: topics)
        for session in sessions where session.isCatchingUp && (topics.map { !$0.isDisjoint(with: session.topics) } ?? true) {
            session.catchUpIsStale = true
        }
    }

    /// Where the live sessions of each of `topics` stand (replaying ones: once their replay is written),
    /// the oldest per topic (sessions still catching up are left out: they read their own history).
    func oldestLivePositions(in topics: Set<Topic>) -> [Topic: TopicPosition] {
        var oldest: [Topic: TopicPosition] = [:]
        for topic in topics {
            guard let members = byTopic[topic] else { continue }
            for member in members.list {
                guard let position = member.session.livePosition(ofTopic: member.topicIndex) else { continue }
                oldest[topic] = oldest[topic].map { FanOut.older($0, position) } ?? position
            }
        }
        return oldest
    }

    /// Ends the holds a heal started at `generation` covers (see `LiveHold`): writes the backfill of the
    /// released topics, then their held frames; the caller flushes. Sessions on `unhealed` topics (or on
    /// topics whose held frames overflowed) close within a second.
    private func releaseHold(generation: UInt64, healed: Set<Topic>, everyTopic: Bool, backfill: [LiveFrame], closingSubscribersOf unhealed: Set<Topic>) {
        let release = hold.release(generation: generation, healed: healed, includingEveryTopic: everyTopic, backfill: backfill, unhealed: unhealed)
        if release.closesEverySession {
            closeSoon(Array(sessions), within: .seconds(1), reason: .unhealed)
        }
        closeSessions(subscribedTo: release.closingTopics, spreadOver: .seconds(1), reason: .unhealed)
        write(release.frames)
    }

    /// Lists `session` for the flush at the end of the current pass; outside a pass (a catch-up written, a
    /// stream failing to open) it schedules one.
    /// why: a list that only a live event or a heartbeat drains kept every stream written to outside a pass
    /// (each closed session with its connection handler, about 650 bytes) for as long as no live event came:
    /// when a loop's streams all closed within the heartbeat interval the heartbeat stopped, and the list
    /// grew with every short-lived stream for good.
    func markNeedsFlush(_ session: StreamSession) {
        needingFlush.append(session)
        guard !inPass, !flushScheduled else { return }
        flushScheduled = true
        loop.assumeIsolated().execute {
            self.flushScheduled = false
            self.flushPending()
        }
    }

    /// Closes every session at a random moment within `window` (so clients do not all reconnect at once);
    /// the future completes when the last one is gone.
    func closeAll(spreadOver window: TimeAmount) -> EventLoopFuture<Void> {
        guard !sessions.isEmpty else { return loop.makeSucceededVoidFuture() }
        let promise = loop.makePromise(of: Void.self)
        drainWaiters.append(promise)
        closeSoon(Array(sessions), within: window, reason: .draining)
        return promise.futureResult
    }

    func closeSessions(subscribedTo topics: Set<Topic>, spreadOver window: TimeAmount, reason: StreamCloseReason) {
        // A session on several of the topics appears more than once; closing it again does nothing.
        closeSoon(topics.flatMap { byTopic[$0]?.list.map(\.session) ?? [] }, within: window, reason: reason)
    }

    /// Ends the sessions `revocation` matches, each with its `herald.revoked` event; returns how many.
    func revoke(_ revocation: Revocation) -> Int {
        let revoked = sessions.filter { revocation.matches(user: $0.user, topics: $0.topics) }
        for session in revoked { session.revoke(message: "the application ended this stream; do not reconnect with the same credentials") }
        return revoked.count
    }

    private func closeSoon(_ sessions: [StreamSession], within window: TimeAmount, reason: StreamCloseReason) {
        let windowNanoseconds = max(window.nanoseconds, 1)
        for session in sessions {
            let delay = TimeAmount.nanoseconds(Int64.random(in: 0..<windowNanoseconds))
            loop.assumeIsolated().scheduleTask(in: delay) { session.close(reason: reason) }
        }
    }

    /// Flushes the sessions written to; returns how many were listed.
    @discardableResult
    private func flushPending() -> Int {
        // why: swapping two arrays that keep their capacity allocates nothing per pass; copying `needingFlush`
        // and emptying it allocated a new array of every session written to (measured by the micro benchmark).
        swap(&flushing, &needingFlush)
        for session in flushing { session.flushIfNeeded() }
        let listed = flushing.count
        flushing.removeAll(keepingCapacity: true)
        return listed
    }

    private func scheduleHeartbeat() {
        heartbeatTask = loop.assumeIsolated().scheduleTask(in: heartbeatInterval) { [weak self] in
            self?.heartbeatTick()
        }
    }

    private func heartbeatTick() {
        heartbeatTask = nil
        inPass = true
        for session in sessions { session.heartbeat(ping) }
        inPass = false
        sampleRates(now: .now())
        flushPending()
        if !sessions.isEmpty { scheduleHeartbeat() }
    }
}
