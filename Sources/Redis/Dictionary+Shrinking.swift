extension Dictionary {
    /// Gives storage back once at most a quarter of it is used (tables of more than 1,024 slots only).
    ///
    /// why: a Swift `Dictionary` keeps its capacity when entries are removed, so the subscriber's table of
    /// channels would stay as large as its busiest moment for the life of the process. Rebuilding costs
    /// O(count), and a quarter of the capacity must be removed before the next rebuild, so this is O(1) per
    /// removal amortised. (HeraldCore has the same helper; this module depends on nothing of Herald's.)
    mutating func shrinkIfMostlyEmpty() {
        guard capacity > 1024, count * 4 < capacity else { return }
        var smaller = Self(minimumCapacity: count * 2)
        for (key, value) in self { smaller[key] = value }
        self = smaller
    }
}
