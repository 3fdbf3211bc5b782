/// Brings a new SSE connection up to date: subscribes live, then reads what it missed.
///
/// The order is what makes resume exact: the session is registered in the fan-out (buffering) *before*
/// `open` runs; `open` subscribes to live delivery and waits until it is active; only then it reads history.
/// Every event is therefore in the history read, or arrives live afterwards, or both (deduplicated by ordinal).
///
/// History is read through one `SharedHistoryReader` per opener (one opener per node): streams resuming a
/// topic at about the same time, as after a reconnect storm, share one ranged read of it.
public struct StreamOpener: Sendable {
    public let broker: any Broker
    /// Events read per history request. why: bounds one reply's size; a longer history takes several reads.
    public var pageSize: Int { history.pageSize }
    /// Upper bound on events replayed per topic. why: protects the node from a client resuming a huge history;
    /// retention normally keeps far fewer. Beyond it the client gets a reset notice and the oldest part.
    public var maximumReplay: Int { history.maximumReplay }
    let history: SharedHistoryReader

    public init(broker: any Broker, pageSize: Int = 1000, maximumReplay: Int = 100_000) {
        self.broker = broker
        self.history = SharedHistoryReader(reader: broker, pageSize: pageSize, maximumReplay: maximumReplay)
    }

    /// Subscribes to `request.topics` and plans the catch-up. On error or cancellation nothing stays subscribed.
    public func open(_ request: StreamRequest) async throws -> (BrokerSubscription, CatchUpPlan) {
        let subscription = try await broker.subscribe(to: request.topics)
        do {
            var histories: [TopicHistory] = []
            histories.reserveCapacity(request.topics.count)
            for (topic, start) in zip(request.topics, request.start) {
                try Task.checkCancellation()
                histories.append(try await readHistory(of: topic, from: start))
            }
            return (subscription, CatchUpPlan.plan(request: request, histories: histories))
        } catch {
            subscription.cancel()
            throw error
        }
    }

    /// Per-topic entries of the opener's shared history reads.
    public var perTopicEntries: PerTopicEntries { history.perTopicEntries }

    /// The history a catch-up needs for one topic (see `SharedHistoryReader.catchUpHistory`).
    func readHistory(of topic: Topic, from start: TopicPosition?) async throws -> TopicHistory {
        try await history.catchUpHistory(of: topic, from: start)
    }
}
