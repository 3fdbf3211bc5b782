/// Which position of a cursor belongs to which topic of a (re)connection.
///
/// A topic resumes from an entry only when that entry can belong to no other topic of the request:
/// - an entry that names the topic resumes it;
/// - a keyed entry resumes the one requested topic with that key; if two requested topics share the key,
///   the entry could be either's, and neither resumes from it (they start at their current end);
/// - version 1 cursors (32-bit keys, no names) resume by order when their keys are exactly the keys of the
///   requested topics in sorted order, which is how Herald wrote them for that same set of topics, colliding
///   keys included; otherwise by key where exactly one entry and one requested topic have it.
extension Cursor {
    /// The position to resume after for each of `topics` (sorted and unique), or nil where the cursor does not
    /// say: such a topic starts at its current end.
    public func positions(for topics: [Topic]) -> [TopicPosition?] {
        if Self.isLegacy(entries) { return legacyPositions(for: topics) }
        var byName: [String: TopicPosition] = [:]
        var byKey: [UInt64: TopicPosition] = [:]
        for entry in entries {
            switch entry.topic {
            case .name(let name): byName[name] = entry.position
            case .key(let key): byKey[key] = entry.position
            case .legacyKey: preconditionFailure("legacy keys cannot mix with others")
            }
        }
        let keys = topics.map(\.cursorKey)
        let keyCounts = Dictionary(keys.map { ($0, 1) }, uniquingKeysWith: +)
        return zip(topics, keys).map { topic, key in
            if let position = byName[topic.name] { return position }
            guard keyCounts[key] == 1 else { return nil }
            return byKey[key]
        }
    }

    private func legacyPositions(for topics: [Topic]) -> [TopicPosition?] {
        let keys = topics.map(\.legacyCursorKey)
        let entryKeys = entries.map { entry -> UInt32 in
            guard case .legacyKey(let key) = entry.topic else { preconditionFailure("a legacy cursor has legacy keys") }
            return key
        }
        if entryKeys == keys { return entries.map(\.position) }
        let entryCounts = Dictionary(entryKeys.map { ($0, 1) }, uniquingKeysWith: +)
        let topicCounts = Dictionary(keys.map { ($0, 1) }, uniquingKeysWith: +)
        return keys.map { key in
            guard entryCounts[key] == 1, topicCounts[key] == 1, let index = entryKeys.firstIndex(of: key) else { return nil }
            return entries[index].position
        }
    }
}
