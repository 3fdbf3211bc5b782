import Prometheus
import Synchronization

/// One node's metrics: a Prometheus registry of its own (not the process-wide default, so that several
/// nodes in one test process do not mix), the metrics recorded as things happen, and the text exposition.
///
/// What moves per delivered event is never recorded here: those counts are plain per-event-loop integers
/// summed when `/metrics` is scraped and handed to `exposition(_:)` as a `NodeSnapshot`. What is recorded
/// here moves once per connection, request, publish batch, Redis command or lag sample.
public final class HeraldMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    /// The swift-metrics factory over this registry, for libraries that record through swift-metrics
    /// (the Redis client: `RedisMetrics(factory: metrics.factory, prefix: MetricName.redisPrefix)`).
    public let factory: PrometheusMetricsFactory
    let connectionsAccepted: Prometheus.Counter
    let eventsPublished: Prometheus.Counter
    let publishDuration: DurationHistogram
    let eventLoopLag: DurationHistogram
    /// Serialises scrapes: each sets the scraped values, then emits them.
    let scrape = Mutex(())
    /// The request counters made so far, by endpoint and status. why: the registry validates the label names
    /// and builds a key on every lookup; a request should cost a hash and an uncontended lock, not that.
    private let requestCounters = Mutex<[RequestKey: Prometheus.Counter]>([:])

    private struct RequestKey: Hashable {
        var endpoint: String
        var status: Int
    }

    /// why: publishes are acknowledged in well under a millisecond by a local Redis and in a few
    /// milliseconds across a network; the top buckets catch a backend in trouble.
    static let latencyBuckets: [Duration] = [
        .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
    ]
    /// why: a loop that runs a task 1 ms late is healthy; 100 ms late delays every stream on it visibly.
    static let lagBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
    ]

    public init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = [RedisCommandTimer.name: Self.latencyBuckets]
        self.factory = factory
        connectionsAccepted = registry.makeCounter(descriptor: MetricName.connectionsAccepted)
        eventsPublished = registry.makeCounter(descriptor: MetricName.eventsPublished)
        publishDuration = registry.makeDurationHistogram(descriptor: MetricName.publishDuration, buckets: Self.latencyBuckets)
        eventLoopLag = registry.makeDurationHistogram(descriptor: MetricName.eventLoopLag, buckets: Self.lagBuckets)
        // why: a series that exists from the start at 0 lets rate() and alerts see the first refusal.
        for reason in Self.refusalReasons {
            _ = registry.makeCounter(descriptor: MetricName.connectionsRefused, labels: [("reason", reason)])
        }
    }

    /// The reasons a connection is refused at accept time (the codes of the HTTP edge's connection limits).
    static let refusalReasons = ["too_many_connections", "too_many_connections_from_address"]

    /// Counts a connection the listener admitted.
    public func connectionAccepted() {
        connectionsAccepted.increment()
    }

    /// Counts a connection refused at accept time; `reason` is the refusal's error code.
    public func connectionRefused(reason: String) {
        registry.makeCounter(descriptor: MetricName.connectionsRefused, labels: [("reason", reason)]).increment()
    }

    /// Counts a request answered on `endpoint` (`publish`, `events`, `healthz`, `readyz`, `stats`, `metrics`,
    /// or `other` for a path Herald does not serve) with `status`.
    public func requestAnswered(endpoint: String, status: Int) {
        let key = RequestKey(endpoint: endpoint, status: status)
        let counter = requestCounters.withLock { counters in
            if let existing = counters[key] { return existing }
            let made = registry.makeCounter(descriptor: MetricName.requests, labels: [("endpoint", endpoint), ("status", String(status))])
            counters[key] = made
            return made
        }
        counter.increment()
    }

    /// Records a publish of `events` acknowledged by the backend `nanoseconds` after its request was read.
    public func published(events: Int, nanoseconds: Int64) {
        eventsPublished.increment(by: Int64(events))
        publishDuration.recordNanoseconds(nanoseconds)
    }
}

/// The name of the Redis command timer, so that its buckets are the latency buckets.
enum RedisCommandTimer {
    static let name = "\(MetricName.redisPrefix)_command_duration_seconds"
}
