import Synchronization

/// One ``SteadyPublisher`` per topic, all running at once, as separate backends publishing to separate topics:
/// a shard that fails over stalls only the publishers of its own topics. Event `n` of topic `t` is `t#n`.
final class TopicPublishers: Sendable {
    private let publishers: [SteadyPublisher]
    private let tasks: [Task<Void, Never>]
    private let firstFailure = FirstFailure()

    /// The first publisher that gave up, and why (it was refused with a 4xx, or failed for too long).
    private final class FirstFailure: Sendable {
        let text = Mutex<String?>(nil)
    }

    init(port: Int, topics: [String], eventsPerSecondPerTopic: Int, requestTimeout: Duration) {
        let publishers = topics.map {
            SteadyPublisher(port: port, topics: [$0], eventsPerSecond: eventsPerSecondPerTopic, requestTimeout: requestTimeout)
        }
        let firstFailure = self.firstFailure
        self.publishers = publishers
        self.tasks = publishers.map { publisher in
            Task {
                do {
                    _ = try await publisher.run()
                } catch {
                    firstFailure.text.withLock { $0 = $0 ?? "\(error)" }
                }
            }
        }
    }

    private var failure: String? { firstFailure.text.withLock { $0 } }

    /// The counts of every publisher, together.
    var snapshot: SteadyPublisher.Counts {
        publishers.map(\.snapshot).reduce(into: SteadyPublisher.Counts()) { total, counts in
            total.published.merge(counts.published) { $1 }
            total.retries += counts.retries
            total.failures.merge(counts.failures, uniquingKeysWith: +)
        }
    }

    /// Waits (bounded) until `condition` holds for ``snapshot``; throws at once when a publisher gave up.
    func waitUntil(_ what: String, timeout: Duration, _ condition: @escaping (SteadyPublisher.Counts) -> Bool) async throws {
        try await poll(timeout: timeout, what) {
            failure != nil || condition(snapshot)
        }
        if let failure { throw FailoverFailure("a publisher gave up: \(failure)") }
    }

    /// Stops every publisher after its event in flight is acknowledged; returns the final counts, or throws
    /// when a publisher gave up.
    func stop() async throws -> SteadyPublisher.Counts {
        publishers.forEach { $0.stop() }
        for task in tasks { await task.value }
        if let failure { throw FailoverFailure("a publisher gave up: \(failure)") }
        return snapshot
    }

    /// Cancels every publisher (a test that failed midway) and waits until they have returned.
    func cancel() async {
        tasks.forEach { $0.cancel() }
        for task in tasks { await task.value }
    }
}
