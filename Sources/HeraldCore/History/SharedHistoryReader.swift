import Synchronization

/// The catch-up reads of one node, shared: streams that resume the same topic at about the same time read
/// its history together, one ranged read (paged) for all of them instead of one each.
///
/// Guarantees:
/// - Each caller gets what `catchUpHistory(of:from:pageSize:maximumReplay:)` would give it over the same
///   stored events: the events after its own position (or the newer epoch's whole retained history), at
///   most the same number, with the topic's epoch and last id; so its `CatchUpPlan`, resets included, is
///   the same. A caller alone in its read makes exactly the reads `catchUpHistory` makes.
/// - Every read a caller's result comes from *starts after the caller asked*, hence after its live
///   subscription was active: `StreamOpener`'s subscribe-then-read hand-off stays exact. Callers arriving
///   while a read of their topic is in flight therefore wait for the next read, which starts when it ends.
/// - Only callers whose positions lie within `pageSize` ordinals of each other, in one epoch, share a read
///   (it starts at the oldest of them); a caller that fits no batch reads at once. The memory of a shared
///   read is therefore at most about one page more than the largest member's own.
/// - If a shared read fails because the task performing it was cancelled, the others read on their own;
///   any other error is every member's error. A waiting caller whose task is cancelled leaves at once.
/// - The lock guards bookkeeping only: no I/O and no per-event work happen under it.
public final class SharedHistoryReader: Sendable {
    public let reader: any TopicHistoryReading
    /// Events per ranged read; also the widest spread of positions that share a read.
    public let pageSize: Int
    /// Upper bound on the events one caller replays per topic (see `catchUpHistory`).
    public let maximumReplay: Int
    private let replayCap: Int
    private let state: Mutex<State>

    typealias Waiter = CheckedContinuation<Turn, any Error>
    typealias Batch = StateMachine<Waiter>.Batch

    /// What a waiting caller is resumed with.
    enum Turn: Sendable {
        /// Perform read `readID` for `batch` (the caller is `batch.members[0]`).
        case lead(readID: UInt64, batch: Batch)
        /// The read the caller took part in.
        case shared(SharedHistory)
        /// The read the caller took part in failed for a reason of its leader's; read alone.
        case alone
    }

    private struct State: ~Copyable {
        var machine: StateMachine<Waiter>
        var lastMemberID: UInt64 = 0
    }

    public init(reader: any TopicHistoryReading, pageSize: Int = 1000, maximumReplay: Int = 100_000) {
        precondition(pageSize > 0, "a page holds at least one event")
        self.reader = reader
        self.pageSize = pageSize
        self.maximumReplay = maximumReplay
        self.replayCap = SharedHistory.replayCap(pageSize: pageSize, maximumReplay: maximumReplay)
        self.state = Mutex(State(machine: StateMachine(window: pageSize)))
    }

    /// The history a catch-up of `topic` from `start` needs (nil: only where the topic stands now).
    public func catchUpHistory(of topic: Topic, from start: TopicPosition?) async throws -> TopicHistory {
        let id = state.withLock { state in
            state.lastMemberID += 1
            return state.lastMemberID
        }
        let turn = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: Waiter) in
                let action = state.withLock { state -> StateMachine<Waiter>.JoinAction? in
                    // why: checked under the lock, so that a cancellation either sees the member or stops it here.
                    guard !Task.isCancelled else { return nil }
                    return state.machine.join(topic, .init(id: id, start: start, waiter: continuation))
                }
                switch action {
                case nil: continuation.resume(throwing: CancellationError())
                case .lead(let readID, let batch)?: continuation.resume(returning: .lead(readID: readID, batch: batch))
                case .wait?: break
                }
            }
        } onCancel: {
            state.withLock { $0.machine.leave(topic, id: id) }?.resume(throwing: CancellationError())
        }
        switch turn {
        case .lead(let readID, let batch):
            return try await lead(readID, batch, of: topic, start: start)
        case .shared(let shared):
            if let history = shared.history(for: start, replayCap: replayCap) { return history }
        case .alone:
            break
        }
        return try await reader.catchUpHistory(of: topic, from: start, pageSize: pageSize, maximumReplay: maximumReplay)
    }

    /// Callers waiting for a read of `topic` to start (for tests and diagnostics).
    func waitingCount(of topic: Topic) -> Int {
        state.withLock { $0.machine.waitingCount(of: topic) }
    }

    /// Per-topic entries: topics with a read in flight (and its waiting batch).
    public var perTopicEntries: PerTopicEntries {
        PerTopicEntries([(PerTopicEntries.sharedHistoryReads, state.withLock { $0.machine.topicCount })])
    }

    /// Catch-ups that have joined a read or started one so far (for tests and diagnostics).
    var joinedCount: Int {
        state.withLock { $0.machine.joins }
    }

    /// Performs read `readID`, starts the next batch's read, and hands the result to the batch's members.
    private func lead(_ readID: UInt64, _ batch: Batch, of topic: Topic, start: TopicPosition?) async throws -> TopicHistory {
        let result: Result<SharedHistory, any Error>
        do {
            result = .success(try await read(topic, for: batch))
        } catch {
            result = .failure(error)
        }
        if let next = state.withLock({ $0.machine.readFinished(topic, readID: readID) }) {
            next.batch.members[0].waiter.resume(returning: .lead(readID: next.readID, batch: next.batch))
        }
        let followers = batch.members.dropFirst()
        switch result {
        case .success(let shared):
            for follower in followers { follower.waiter.resume(returning: .shared(shared)) }
            if let history = shared.history(for: start, replayCap: replayCap) { return history }
            return try await reader.catchUpHistory(of: topic, from: start, pageSize: pageSize, maximumReplay: maximumReplay)
        case .failure(let error):
            // why: a leader whose client went away must not fail the others; they read on their own.
            let leaderCancelled = Task.isCancelled
            for follower in followers {
                if leaderCancelled { follower.waiter.resume(returning: .alone) } else { follower.waiter.resume(throwing: error) }
            }
            throw error
        }
    }

    /// Reads what every member of `batch` needs: `catchUpHistory`'s paging from the oldest member's
    /// position, going on until the newest member has its fill or the history ends.
    private func read(_ topic: Topic, for batch: Batch) async throws -> SharedHistory {
        guard let start = batch.readStart else {
            let now = try await reader.history(of: topic, after: nil, limit: 0)
            return SharedHistory(epoch: now.epoch, last: now.last, after: nil, events: [], reachedEnd: true)
        }
        // why: where the newest member continues depends on the epoch, which the first page tells.
        var farthest: StreamID?
        let read = try await reader.pagedHistory(of: topic, from: start, pageSize: pageSize) { history in
            let newest = farthest ?? Self.farthest(of: batch, in: history.epoch)
            farthest = newest
            return !SharedHistory.fills(history.events, after: newest, replayCap: replayCap)
        }
        let history = read.history
        return SharedHistory(epoch: history.epoch, last: history.last, after: read.after, events: history.events, reachedEnd: !read.stoppedEarly)
    }

    /// The id after which the newest member of `batch` continues in `epoch`.
    private static func farthest(of batch: Batch, in epoch: UInt32) -> StreamID {
        batch.members.compactMap(\.start).map { SharedHistory.continuation(of: $0, in: epoch) }.max() ?? .zero
    }
}
