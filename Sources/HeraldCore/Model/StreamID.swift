/// The id of one event inside its topic's history: `<milliseconds>-<ordinal>`.
///
/// Herald assigns ids itself (in the publish script for Redis, in the topic log in memory): `ms` is the publish
/// time, never going backwards within a topic, and `ordinal` counts the topic's events from 1 without holes.
/// Because ordinals have no holes, a gap between two ids is detected by arithmetic alone: the event after
/// `n` must be `n + 1`. The text form is a valid Redis stream id, so the stream id *is* the event id.
public struct StreamID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Milliseconds since the Unix epoch at publish time.
    public var milliseconds: UInt64
    /// Position of the event in its topic, starting at 1; 0 means "before the first event".
    public var ordinal: UInt64

    public init(milliseconds: UInt64, ordinal: UInt64) {
        self.milliseconds = milliseconds
        self.ordinal = ordinal
    }

    /// The position before any event of a topic.
    public static let zero = StreamID(milliseconds: 0, ordinal: 0)

    /// Parses `"<ms>-<ordinal>"` (digits only, no signs); returns nil for anything else.
    @inlinable
    public init?(_ text: some StringProtocol) {
        self.init(ascii: text.utf8)
    }

    /// Parses `<ms>-<ordinal>` from ASCII bytes, such as a Redis reply, without making a String.
    @inlinable
    public init?<Bytes: Collection<UInt8>>(ascii bytes: Bytes) {
        guard let dash = bytes.firstIndex(of: UInt8(ascii: "-")),
              let milliseconds = ASCIIDecimal.parse(bytes[..<dash]),
              let ordinal = ASCIIDecimal.parse(bytes[bytes.index(after: dash)...])
        else { return nil }
        self.init(milliseconds: milliseconds, ordinal: ordinal)
    }

    public var description: String { "\(milliseconds)-\(ordinal)" }

    public static func < (lhs: StreamID, rhs: StreamID) -> Bool {
        (lhs.milliseconds, lhs.ordinal) < (rhs.milliseconds, rhs.ordinal)
    }
}

/// Where a reader stands in one topic: the topic's epoch and the last event id seen in it.
///
/// The epoch changes when a topic's history is lost as a whole (its keys deleted or expired) and recreated,
/// so that ordinals from an earlier life of the topic are never compared with the current ones.
/// Epoch 0 means "the topic had no history when this position was taken".
public struct TopicPosition: Hashable, Sendable, CustomStringConvertible {
    public var epoch: UInt32
    public var id: StreamID

    public init(epoch: UInt32, id: StreamID) {
        self.epoch = epoch
        self.id = id
    }

    /// The position of a reader of a topic that has never had an event.
    public static let none = TopicPosition(epoch: 0, id: .zero)

    public var description: String { "\(epoch):\(id)" }

    /// True when this is the event right after `previous`: the next ordinal of the same epoch, or the first
    /// of a new epoch (the topic's history was lost and started again).
    func isNext(after previous: TopicPosition) -> Bool {
        epoch == previous.epoch ? id.ordinal == previous.id.ordinal &+ 1 : id.ordinal == 1
    }

    /// True when this position cannot come after `previous` in one history: the same epoch, no newer
    /// ordinal, but a later publish time. Within a topic both only grow, so this happens only after the
    /// history was rewound (a Redis failover lost acknowledged events) and their ordinals were given to new
    /// events. A plain duplicate (the same event again, or an older one) has no later time.
    func rewrites(_ previous: TopicPosition) -> Bool {
        epoch == previous.epoch && id.ordinal <= previous.id.ordinal && id.milliseconds > previous.id.milliseconds
    }
}
