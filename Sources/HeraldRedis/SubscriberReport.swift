import HeraldCore

/// What the node has told Redis of its subscriber counts, and what to send next: a pure state machine
/// (no I/O) that `SubscriberReporter` drives once per interval.
///
/// The first report, and every report after one that failed or found its hash gone, replaces the whole hash;
/// otherwise only the topics whose count changed are sent (a count of 0 removes the topic). So an interval in
/// which nothing changed sends no topic at all, whatever the number of topics.
struct SubscriberReport {
    /// The changes to send (`Script.report`).
    struct Changes: Equatable {
        /// True: the changes are the whole report, which replaces the hash.
        var replace: Bool
        /// Topics to drop from the report (no subscriber left), sorted.
        var removed: [String]
        /// Topics and counts to set, sorted by topic.
        var counts: [(topic: String, subscribers: Int)]

        static func == (lhs: Changes, rhs: Changes) -> Bool {
            lhs.replace == rhs.replace && lhs.removed == rhs.removed
                && lhs.counts.map(\.topic) == rhs.counts.map(\.topic) && lhs.counts.map(\.subscribers) == rhs.counts.map(\.subscribers)
        }

        /// Whether there is nothing to change in Redis but the report's expiry.
        var isEmpty: Bool { !replace && removed.isEmpty && counts.isEmpty }
    }

    /// What Redis holds, as far as this node knows; nil when it must be replaced.
    private var reported: [Topic: Int]?

    /// The changes that bring Redis from what was reported to `counts` (topics with no subscriber are left out).
    func changes(to counts: [Topic: Int]) -> Changes {
        guard let reported else {
            let all = counts.filter { $0.value > 0 }.map { (topic: $0.key.name, subscribers: $0.value) }
            return Changes(replace: true, removed: [], counts: all.sorted { $0.topic < $1.topic })
        }
        var changed: [(topic: String, subscribers: Int)] = []
        for (topic, subscribers) in counts where subscribers > 0 && reported[topic] != subscribers {
            changed.append((topic.name, subscribers))
        }
        let removed = reported.keys.filter { (counts[$0] ?? 0) == 0 }.map(\.name)
        return Changes(replace: false, removed: removed.sorted(), counts: changed.sorted { $0.topic < $1.topic })
    }

    /// Redis applied the changes to `counts`: they are what it holds now.
    mutating func applied(_ counts: [Topic: Int]) {
        reported = counts.filter { $0.value > 0 }
    }

    /// The report failed, or Redis no longer had it: the next one replaces the hash.
    mutating func lost() {
        reported = nil
    }
}
