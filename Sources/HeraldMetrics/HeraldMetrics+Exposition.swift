import Prometheus

extension HeraldMetrics {
    /// The content type of `exposition(_:)`: the Prometheus text format.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Sets the scraped values of `snapshot`, then renders every metric in the Prometheus text format.
    /// Scrapes are serialised, so two at once cannot interleave their values.
    public func exposition(_ snapshot: NodeSnapshot) -> String {
        scrape.withLock { _ in
            set(MetricName.openStreams, snapshot.openStreams)
            set(MetricName.openConnections, snapshot.openConnections)
            set(MetricName.maxConnections, snapshot.maxConnections)
            set(MetricName.topicsWithSubscribers, snapshot.topicsWithSubscribers)
            set(MetricName.liveDeliveryHealing, snapshot.liveDeliveryHealing ? 1 : 0)
            setTotal(MetricName.eventsDelivered, snapshot.eventsDelivered)
            setTotal(MetricName.eventsReplayed, snapshot.eventsReplayed)
            setTotal(MetricName.eventsBackfilled, snapshot.eventsBackfilled)
            for (reason, count) in snapshot.resets {
                setTotal(MetricName.resets, count, labels: [("reason", reason)])
            }
            setTotal(MetricName.slowReadersCut, snapshot.slowReadersCut)
            setTotal(MetricName.deadPeersReleased, snapshot.deadPeersReleased)
            setTotal(MetricName.streamsRefused, snapshot.streamsRefused)
            setTotal(MetricName.acceptFailures, snapshot.acceptFailures)
            return registry.emitToString()
        }
    }

    private func set(_ descriptor: MetricNameDescriptor, _ value: Int) {
        registry.makeGauge(descriptor: descriptor).set(Int64(value))
    }

    /// Sets a counter to a total the node keeps itself (it only grows, so the series stays a counter).
    private func setTotal(_ descriptor: MetricNameDescriptor, _ value: Int, labels: [(String, String)] = []) {
        let counter = labels.isEmpty ? registry.makeCounter(descriptor: descriptor) : registry.makeCounter(descriptor: descriptor, labels: labels)
        counter.reset()
        counter.increment(by: Int64(value))
    }
}
