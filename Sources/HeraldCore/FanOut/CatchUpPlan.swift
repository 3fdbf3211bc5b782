import NIOCore

/// Why a topic's history could not be replayed exactly; sent to the client in a `herald.reset` event.
public enum ResetReason: String, Sendable, Equatable, CaseIterable {
    /// Events after the client's position were trimmed by retention (length or age).
    case trimmed = "history_trimmed"
    /// The topic's history was deleted and started again (a new epoch).
    case recreated = "history_recreated"
    /// The topic has no history any more.
    case deleted = "history_deleted"
    /// The backend's history ends before the client's position, or goes on from an earlier one with other
    /// events (a failover lost writes, and their ids were given to new events).
    case rewound = "history_rewound"
}

/// What a catching-up session must write before going live: a reset notice, then the missed events.
///
/// `plan(request:histories:)` is pure: the same request and histories always give the same plan.
public struct CatchUpPlan: Sendable, Equatable {
    public struct Reset: Sendable, Equatable {
        public var topic: Topic
        public var reason: ResetReason
    }

    public struct Replayed: Sendable, Equatable {
        public var topicIndex: Int
        public var event: StoredEvent
    }

    /// Topics whose history was lost; the client hears of them first, in one `herald.reset` event.
    public var resets: [Reset]
    /// Positions before the replay (after applying resets), one per topic.
    public var baseline: [TopicPosition]
    /// Missed events of every topic, oldest first.
    public var events: [Replayed]

    /// Plans the catch-up of `request`; `histories[i]` is what the broker returned for `request.topics[i]`
    /// (see `StreamOpener` for which reads are made).
    public static func plan(request: StreamRequest, histories: [TopicHistory]) -> CatchUpPlan {
        precondition(histories.count == request.topics.count, "one history per topic")
        var plan = CatchUpPlan(resets: [], baseline: [], events: [])
        for (index, history) in histories.enumerated() {
            let topic = request.topics[index]
            guard let start = request.start[index] else {
                plan.baseline.append(history.epoch == 0 ? .none : TopicPosition(epoch: history.epoch, id: history.last))
                continue
            }
            guard history.epoch != 0 else {
                if start.epoch != 0 { plan.resets.append(Reset(topic: topic, reason: .deleted)) }
                plan.baseline.append(.none)
                continue
            }
            let sameEpoch = start.epoch == history.epoch
            if start.epoch != 0 && !sameEpoch {
                plan.resets.append(Reset(topic: topic, reason: .recreated))
                plan.baseline.append(TopicPosition(epoch: history.epoch, id: .zero))
            } else if sameEpoch && start.id.ordinal > history.last.ordinal {
                plan.resets.append(Reset(topic: topic, reason: .rewound))
                plan.baseline.append(TopicPosition(epoch: history.epoch, id: history.last))
                continue
            } else if sameEpoch, let first = history.events.first, first.position.rewrites(start) {
                // why: the events read after the cursor's id are newer than it, yet do not go past its ordinal:
                // the history was rewound and its ordinals given again. They are all new to the client, which
                // hears of the rewind first.
                plan.resets.append(Reset(topic: topic, reason: .rewound))
                plan.baseline.append(TopicPosition(epoch: history.epoch, id: StreamID(milliseconds: first.position.id.milliseconds, ordinal: first.position.id.ordinal - 1)))
            } else {
                let from = sameEpoch ? start.id : .zero
                if hasGap(after: from.ordinal, in: history) { plan.resets.append(Reset(topic: topic, reason: .trimmed)) }
                plan.baseline.append(TopicPosition(epoch: history.epoch, id: from))
            }
            plan.events += history.events.map { Replayed(topicIndex: index, event: $0) }
        }
        // why: within a topic events are already in order; across topics, publish time is the best order
        // there is (ties broken by topic, then ordinal), and each topic's own order is kept exactly.
        plan.events.sort {
            ($0.event.position.id.milliseconds, $0.topicIndex, $0.event.position.id.ordinal)
                < ($1.event.position.id.milliseconds, $1.topicIndex, $1.event.position.id.ordinal)
        }
        return plan
    }

    /// True when the events after `ordinal` are not all in `history` (trimmed, expired, or a hole between pages).
    private static func hasGap(after ordinal: UInt64, in history: TopicHistory) -> Bool {
        var expected = ordinal + 1
        for event in history.events {
            guard event.position.id.ordinal == expected else { return true }
            expected += 1
        }
        return history.last.ordinal >= expected
    }

    /// Writes the `herald.reset` event: `{"topics":[{"topic":"…","reason":"…"}]}` with `id`.
    func writeResetEvent(id: String, to buffer: inout ByteBuffer) {
        let items = resets.map { "{\"topic\":\(JSONText.quoted($0.topic.name)),\"reason\":\"\($0.reason.rawValue)\"}" }
        let data = "{\"topics\":[\(items.joined(separator: ","))]}"
        SSEEncoder.appendEvent(type: "herald.reset", data: ByteBuffer(string: data), id: id, to: &buffer)
    }
}
