extension Dictionary {
    /// Gives storage back once at most a quarter of it is used (tables of more than 1,024 slots only).
    ///
    /// why: a Swift `Dictionary` keeps its capacity when entries are removed, so a table keyed by topic
    /// would stay as large as its busiest moment (a reconnect storm, a flood of one-off topics) for the life
    /// of the process. Rebuilding costs O(count), and a quarter of the capacity must be removed before the
    /// next rebuild, so this is O(1) per removal amortised.
    mutating func shrinkIfMostlyEmpty() {
        guard capacity > 1024, count * 4 < capacity else { return }
        var smaller = Self(minimumCapacity: count * 2)
        for (key, value) in self { smaller[key] = value }
        self = smaller
    }
}
