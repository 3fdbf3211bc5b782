import HeraldCore

/// The logic of a streaming publish (`POST /publish` with an NDJSON body that stays open), with no I/O:
/// what to store next, when to read more of the body, and how the request ends.
///
/// Guarantees:
/// - one publish is in flight at a time, so events are stored in line order; the lines that arrive while one
///   is in flight are stored together by the next (at most `maxBatch` at once);
/// - once a line is refused (or the request timed out), nothing after it is stored, and everything accepted
///   before it still is, before the request ends with the error;
/// - a publish that fails ends the request at once; its lines may or may not have been stored (the summary
///   says which lines are unsure), and nothing after them is stored;
/// - reading stops (`wantsInput`) while a whole batch is waiting, so a fast writer cannot grow the queue.
struct StreamingPublishMachine {
    enum Action {
        case none
        /// Store these events, in order, then report `published(_:)` or `publishFailed(_:mayHaveStored:)`.
        case publish([NewEvent])
        /// The request is over: answer with what was stored.
        case succeed(StreamingPublishSummary)
        /// The request is over: answer with this error, which says what was stored.
        case fail(StreamingPublishFailure)
    }

    private enum Phase {
        case receiving
        case bodyEnded
        /// A line was refused (or the request timed out): store what came before, then fail.
        case refused(any Error, line: Int?)
        case finished
    }

    /// Most events in one publish.
    let maxBatch: Int
    private var phase = Phase.receiving
    private var pending: [NewEvent] = []
    /// Events of the publish in flight; 0 when none is.
    private var inFlight = 0
    private(set) var summary: StreamingPublishSummary

    /// - Parameter idsLimit: the reply lists every id while the stream stored at most this many events.
    init(maxBatch: Int, idsLimit: Int) {
        self.maxBatch = maxBatch
        self.summary = StreamingPublishSummary(idsLimit: idsLimit)
    }

    /// Whether lines are still taken: the body has neither ended nor been refused.
    var acceptsLines: Bool {
        if case .receiving = phase { return true }
        return false
    }

    /// Whether more of the body should be read now: lines are taken and fewer than a batch is waiting.
    var wantsInput: Bool { acceptsLines && pending.count < maxBatch }

    /// Whether the request has ended (answered, or its connection gone).
    var isFinished: Bool {
        if case .finished = phase { return true }
        return false
    }

    /// Valid events from the body, in order.
    mutating func received(_ events: [NewEvent]) -> Action {
        guard acceptsLines else { return .none }
        pending.append(contentsOf: events)
        return next()
    }

    /// A line was refused (bad input, over a limit, forbidden) or no line came in time: nothing more is
    /// taken; what came before is stored, then the request fails with `error`.
    mutating func refused(_ error: any Error, line: Int?) -> Action {
        guard acceptsLines else { return .none }
        phase = .refused(error, line: line)
        return next()
    }

    /// The body ended well (after a complete last line).
    mutating func bodyEnded() -> Action {
        guard acceptsLines else { return .none }
        phase = .bodyEnded
        return next()
    }

    /// The publish in flight stored its events at these positions.
    mutating func published(_ positions: [TopicPosition], of events: [NewEvent]) -> Action {
        guard !isFinished else { return .none }
        inFlight = 0
        summary.stored(events, at: positions)
        return next()
    }

    /// The publish in flight failed. `mayHaveStored`: false when it is known that none of its events was
    /// stored (refused before it reached the backend), true when a prefix may have been.
    mutating func publishFailed(_ error: any Error, mayHaveStored: Bool) -> Action {
        guard !isFinished else { return .none }
        let unsure = mayHaveStored ? inFlight : 0
        let line = summary.count + 1
        inFlight = 0
        pending = []
        phase = .finished
        return .fail(StreamingPublishFailure(cause: error, line: mayHaveStored ? nil : line, summary: summary, unsureLines: unsure))
    }

    /// The connection closed: nothing more is done.
    mutating func closed() {
        phase = .finished
        pending = []
    }

    private mutating func next() -> Action {
        guard inFlight == 0, !isFinished else { return .none }
        if !pending.isEmpty {
            let count = min(pending.count, maxBatch)
            let batch = Array(pending.prefix(count))
            pending.removeFirst(count)
            inFlight = count
            return .publish(batch)
        }
        switch phase {
        case .receiving, .finished:
            return .none
        case .bodyEnded:
            phase = .finished
            return .succeed(summary)
        case .refused(let error, let line):
            phase = .finished
            return .fail(StreamingPublishFailure(cause: error, line: line, summary: summary, unsureLines: 0))
        }
    }
}

/// What a streaming publish stored: how many events, the last one's id, and every id while there are few.
struct StreamingPublishSummary: Sendable {
    /// Events stored, which are the body's first `count` lines.
    private(set) var count = 0
    /// The topic and position of the last event stored.
    private(set) var last: StoredEvent?
    /// Every event stored, in order; nil once there are more than `idsLimit`.
    private var all: [StoredEvent]? = []
    private let idsLimit: Int

    /// Where one event went. why: the cursor text is made only for the reply, not for every event of a long stream.
    struct StoredEvent: Sendable {
        var topic: Topic
        var position: TopicPosition

        /// The event's id: the cursor a subscriber of its topic alone sees for it.
        var id: String { Cursor(topics: [topic], positions: [position]).encoded }
    }

    init(idsLimit: Int) {
        self.idsLimit = idsLimit
    }

    mutating func stored(_ events: [NewEvent], at positions: [TopicPosition]) {
        for (event, position) in zip(events, positions) {
            let stored = StoredEvent(topic: event.topic, position: position)
            count += 1
            last = stored
            if all != nil, count <= idsLimit { all?.append(stored) } else { all = nil }
        }
    }

    /// The reply body: `{"count":N,"lastId":"…","ids":[…]}`, `ids` only while the stream is short.
    var json: String {
        var reply = "{\"count\":\(count),\"lastId\":"
        // why: a cursor's text is base64url, which needs no JSON escaping.
        reply += last.map { "\"\($0.id)\"" } ?? "null"
        if let all {
            reply += ",\"ids\":["
            reply += all.map { "\"\($0.id)\"" }.joined(separator: ",")
            reply += "]"
        }
        reply += "}"
        return reply
    }
}

/// Why a streaming publish ended early, and what it had stored by then. `HTTPErrorResponse` answers with
/// the cause's status and code, a message that adds what was stored, and the fields `line`, `stored` and
/// `lastId`.
struct StreamingPublishFailure: Error {
    var cause: any Error
    /// The line at fault, when one is.
    var line: Int?
    var summary: StreamingPublishSummary
    /// Lines after the stored ones that may or may not have been stored (a publish failed in the backend).
    var unsureLines: Int

    /// The sentence about what was stored, appended to the cause's message.
    var storedSentence: String {
        let count = summary.count
        var sentence = count == 0 ? "nothing of the stream was stored" : "\(Self.lines(1, count)) \(count == 1 ? "was" : "were") stored"
        if unsureLines > 0 {
            sentence += count == 0 ? ", except that " : " and "
            sentence += "\(Self.lines(count + 1, count + unsureLines)) may have been (the backend failed while storing them)"
        }
        if unsureLines > 0 {
            sentence += ", nothing after; send the whole stream again with the same Idempotency-Key so that each line is stored once"
        } else if count > 0 {
            // why: line numbers start at 1 in every request, so a resumed stream must not reuse the key of this one.
            sentence += ", nothing after; send the rest from line \(count + 1) (with another Idempotency-Key), or the whole stream again with the same one"
        }
        return sentence
    }

    /// "line 3" or "lines 1–3".
    private static func lines(_ first: Int, _ last: Int) -> String {
        first == last ? "line \(first)" : "lines \(first)–\(last)"
    }
}
