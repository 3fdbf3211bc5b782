extension SharedHistoryReader {
    /// Who reads which topic's history now, and who waits to join the next read; pure, no I/O.
    ///
    /// Each topic has a list of reads in flight. A read in flight never takes new members: it may have
    /// started before a newcomer's live subscription was active, so its result could miss events the
    /// newcomer must see. Newcomers instead gather in the read's *follower* batch, which starts as soon as
    /// the read ends, led by its first member. A batch stays narrow: its members' positions are at most
    /// `window` ordinals apart and in one epoch, so one ranged read from the oldest of them serves all.
    /// A request that fits no batch starts a read of its own at once.
    ///
    /// `Waiter` is whatever the owner resumes a member with (a continuation in production, a number in tests).
    struct StateMachine<Waiter> {
        struct Member {
            var id: UInt64
            var start: TopicPosition?
            var waiter: Waiter
        }

        /// The members of one read; `members[0]` leads it (performs it and hands out the result).
        struct Batch {
            private(set) var members: [Member]
            private(set) var scope: Scope

            init(_ first: Member) {
                members = [first]
                scope = Scope(first.start)
            }

            mutating func add(_ member: Member) {
                members.append(member)
                scope.include(member.start)
            }

            mutating func remove(id: UInt64) -> Member? {
                guard let index = members.firstIndex(where: { $0.id == id }) else { return nil }
                // why: the scope is not narrowed again; reading a little more than the rest need is harmless.
                return members.remove(at: index)
            }

            /// Where the shared read starts: nil reads only where the topic stands (every member is fresh).
            var readStart: TopicPosition? { scope.readStart }
        }

        /// The positions a batch covers: one epoch (0 matches any), the oldest id, and the ordinal span.
        struct Scope: Equatable {
            var hasPositions = false
            var epoch: UInt32 = 0
            var oldest = StreamID.zero
            var lowest: UInt64 = 0
            var highest: UInt64 = 0

            init(_ start: TopicPosition?) { include(start) }

            /// A reader whose position has no epoch reads the whole retained history: from before ordinal 1.
            static func effective(_ start: TopicPosition) -> StreamID { start.epoch == 0 ? .zero : start.id }

            func admits(_ start: TopicPosition?, window: UInt64) -> Bool {
                guard let start, hasPositions else { return true }
                guard start.epoch == 0 || epoch == 0 || start.epoch == epoch else { return false }
                let ordinal = Self.effective(start).ordinal
                return max(highest, ordinal) - min(lowest, ordinal) <= window
            }

            mutating func include(_ start: TopicPosition?) {
                guard let start else { return }
                let id = Self.effective(start)
                if !hasPositions {
                    (hasPositions, oldest, lowest, highest) = (true, id, id.ordinal, id.ordinal)
                } else {
                    oldest = min(oldest, id)
                    lowest = min(lowest, id.ordinal)
                    highest = max(highest, id.ordinal)
                }
                if epoch == 0 { epoch = start.epoch }
            }

            var readStart: TopicPosition? { hasPositions ? TopicPosition(epoch: epoch, id: oldest) : nil }
        }

        private struct Read {
            var id: UInt64
            var scope: Scope
            var followers: Batch?
        }

        enum JoinAction {
            /// Nothing suitable is in flight: the caller leads read `readID` of `batch` now.
            case lead(readID: UInt64, batch: Batch)
            /// The caller waits: it is resumed to lead its batch's read, or with that read's result.
            case wait
        }

        /// Positions further apart than this (in ordinals) are not read together.
        let window: UInt64
        private var reads: [Topic: [Read]] = [:]
        private var nextReadID: UInt64 = 0
        /// Requests taken so far (for tests and diagnostics).
        private(set) var joins = 0

        init(window: Int) {
            self.window = UInt64(max(window, 0))
        }

        mutating func join(_ topic: Topic, _ member: Member) -> JoinAction {
            joins += 1
            var inFlight = reads.removeValue(forKey: topic) ?? []
            defer { store(inFlight, of: topic) }
            for index in inFlight.indices {
                if inFlight[index].followers?.scope.admits(member.start, window: window) == true {
                    inFlight[index].followers!.add(member)
                    return .wait
                }
            }
            for index in inFlight.indices where inFlight[index].followers == nil && inFlight[index].scope.admits(member.start, window: window) {
                inFlight[index].followers = Batch(member)
                return .wait
            }
            let batch = Batch(member)
            let id = startRead(of: batch, in: &inFlight)
            return .lead(readID: id, batch: batch)
        }

        /// Takes a waiting member out (its task was cancelled); nil if it is not waiting any more.
        mutating func leave(_ topic: Topic, id: UInt64) -> Waiter? {
            guard var inFlight = reads.removeValue(forKey: topic) else { return nil }
            defer { store(inFlight, of: topic) }
            for index in inFlight.indices {
                guard let left = inFlight[index].followers?.remove(id: id) else { continue }
                if inFlight[index].followers?.members.isEmpty == true { inFlight[index].followers = nil }
                return left.waiter
            }
            return nil
        }

        /// Read `readID` of `topic` ended; returns its followers' batch, which now starts as read `readID`.
        mutating func readFinished(_ topic: Topic, readID: UInt64) -> (readID: UInt64, batch: Batch)? {
            guard let index = reads[topic]?.firstIndex(where: { $0.id == readID }), var inFlight = reads.removeValue(forKey: topic) else {
                return nil
            }
            defer { store(inFlight, of: topic) }
            let finished = inFlight.remove(at: index)
            guard let next = finished.followers else { return nil }
            return (startRead(of: next, in: &inFlight), next)
        }

        /// Members waiting for a read of `topic` to start.
        func waitingCount(of topic: Topic) -> Int {
            reads[topic]?.reduce(0) { $0 + ($1.followers?.members.count ?? 0) } ?? 0
        }

        /// Reads of `topic` in flight.
        func readCount(of topic: Topic) -> Int { reads[topic]?.count ?? 0 }

        /// Topics with a read in flight: the machine's only per-topic entries.
        var topicCount: Int { reads.count }

        /// Puts back the reads of `topic`, or drops its entry when none is left (and shrinks a mostly empty table).
        private mutating func store(_ inFlight: [Read], of topic: Topic) {
            guard !inFlight.isEmpty else { return reads.shrinkIfMostlyEmpty() }
            reads[topic] = inFlight
        }

        private mutating func startRead(of batch: Batch, in inFlight: inout [Read]) -> UInt64 {
            nextReadID += 1
            inFlight.append(Read(id: nextReadID, scope: batch.scope, followers: nil))
            return nextReadID
        }
    }
}

extension SharedHistoryReader.StateMachine.Member: Sendable where Waiter: Sendable {}
extension SharedHistoryReader.StateMachine.Scope: Sendable {}
extension SharedHistoryReader.StateMachine.Batch: Sendable where Waiter: Sendable {}
