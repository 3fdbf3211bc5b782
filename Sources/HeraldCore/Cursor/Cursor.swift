/// The resume point of one SSE connection: a position for every topic of the connection.
///
/// Each event a connection receives carries the connection's whole cursor in its `id:` field, so the one
/// `Last-Event-ID` a browser sends on reconnect resumes every topic exactly. An entry names its topic by the
/// topic's 64-bit `Topic.cursorKey` to stay compact, or by the topic's name when two topics of the connection
/// share a key, so that no two topics of one connection are ever confused (see `references(for:)`).
/// `positions(for:)` matches a cursor against the topics of a (re)connection; topics the cursor does not
/// mention start at their current end, and entries for topics not requested are ignored.
///
/// The text form is opaque to clients: see `Cursor+Encoding.swift`.
public struct Cursor: Hashable, Sendable {
    /// How an entry names its topic.
    public enum TopicReference: Hashable, Sendable {
        /// The topic's 64-bit key, `Topic.cursorKey`: the usual form.
        case key(UInt64)
        /// The topic's name: for topics of a connection whose keys collide.
        case name(String)
        /// A 32-bit key from a version 1 cursor (Herald before December 2026); read, never written.
        case legacyKey(UInt32)
    }

    public struct Entry: Hashable, Sendable {
        public var topic: TopicReference
        public var position: TopicPosition

        public init(topic: TopicReference, position: TopicPosition) {
            self.topic = topic
            self.position = position
        }
    }

    public let entries: [Entry]

    /// A cursor of `entries`: either all of them `legacyKey` (a version 1 cursor) or none of them.
    public init(entries: [Entry]) {
        precondition(Self.isLegacy(entries) || !entries.contains { $0.isLegacy }, "legacy keys cannot mix with others")
        self.entries = entries
    }

    /// A cursor for a connection on `topics` (sorted and unique) at `positions` (same order).
    public init(topics: [Topic], positions: [TopicPosition]) {
        precondition(topics.count == positions.count, "one position per topic")
        self.entries = zip(Self.references(for: topics), positions).map { Entry(topic: $0, position: $1) }
    }

    /// How a cursor names each of `topics`: by key, except topics whose key another of `topics` shares,
    /// which are named in full. why: a collision of two 64-bit keys is never accidental in practice, but a
    /// crafted pair of topic names can have one; naming both keeps their positions apart.
    public static func references(for topics: [Topic]) -> [TopicReference] {
        let keys = topics.map(\.cursorKey)
        // why: a replay encodes an id per event; the usual answer (no two keys alike) needs no set.
        let sorted = keys.sorted()
        guard zip(sorted, sorted.dropFirst()).contains(where: { $0 == $1 }) else { return keys.map(TopicReference.key) }
        let shared = Set(zip(sorted, sorted.dropFirst()).filter { $0 == $1 }.map(\.0))
        return zip(topics, keys).map { shared.contains($1) ? .name($0.name) : .key($1) }
    }

    static func isLegacy(_ entries: [Entry]) -> Bool {
        !entries.isEmpty && entries.allSatisfy(\.isLegacy)
    }
}

extension Cursor.Entry {
    var isLegacy: Bool {
        if case .legacyKey = topic { return true }
        return false
    }

    var isNamed: Bool {
        if case .name = topic { return true }
        return false
    }
}
