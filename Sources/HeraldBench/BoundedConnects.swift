/// Runs many connection attempts with a bound on how many are in flight, and optionally on how many start
/// per second.
///
/// Guarantees: at most `concurrency` attempts run at once; attempt *n* starts no earlier than
/// start + n / `perSecond` when a rate is given; `record` is called once per attempt, serially, in
/// completion order; returns once every attempt finished.
enum BoundedConnects {
    static func run<Value: Sendable>(
        count: Int, concurrency: Int, perSecond: Int?,
        attempt: @escaping @Sendable (Int) async -> Value,
        record: (Int, Value) -> Void
    ) async {
        let started = ContinuousClock.now
        await withTaskGroup(of: (Int, Value).self) { group in
            var next = 0
            while next < count {
                if next >= concurrency, let finished = await group.next() { record(finished.0, finished.1) }
                if let perSecond {
                    let due = started + .nanoseconds(Int64(next) * 1_000_000_000 / Int64(perSecond))
                    if due > .now { try? await Task.sleep(until: due, clock: .continuous) }
                }
                let index = next
                next += 1
                group.addTask { (index, await attempt(index)) }
            }
            for await finished in group { record(finished.0, finished.1) }
        }
    }
}
