import Prometheus

/// Every metric Herald exposes, named once: the `herald_` prefix, the unit suffix, and the help text
/// Prometheus shows. docs/operations.md lists them with their labels; a test checks that the Grafana
/// dashboard and the alert rules in deploy/ use only names a live node exposes.
public enum MetricName {
    static let namespace = "herald"

    // Connections and requests (recorded as they happen; none of these moves per delivered event).
    static var connectionsAccepted: MetricNameDescriptor { counter("connections_accepted", "Connections accepted by the HTTP listeners.") }
    static var connectionsRefused: MetricNameDescriptor { counter("connections_refused", "Connections refused at accept time, by reason (the error code: too_many_connections, too_many_connections_from_address).") }
    static var requests: MetricNameDescriptor { counter("requests", "HTTP requests answered, by endpoint and status; a started event stream counts as events 200.") }
    static var eventsPublished: MetricNameDescriptor { counter("events_published", "Events this node stored through POST /publish (acknowledged by the backend).") }
    static var publishDuration: MetricNameDescriptor { descriptor("publish_duration", "seconds", "Time from a publish request read and accepted (parsed, authorised, within its rate) to the backend's acknowledgement, for successful publishes.") }
    static var eventLoopLag: MetricNameDescriptor { descriptor("event_loop_lag", "seconds", "How late a task scheduled on an event loop ran; sampled every 250 ms on each loop.") }

    // Read from the node's own counters at scrape time.
    static var openStreams: MetricNameDescriptor { gauge("open_streams", "Event streams open on this node.") }
    static var openConnections: MetricNameDescriptor { gauge("open_connections", "Connections open on this node (streams and requests), counted against --max-connections.") }
    static var maxConnections: MetricNameDescriptor { gauge("max_connections", "The connection limit in force (--max-connections, or derived from the open-file limit).") }
    static var topicsWithSubscribers: MetricNameDescriptor { gauge("topics_with_subscribers", "Topics with at least one local stream, counted once per event loop that serves one.") }
    static var liveDeliveryHealing: MetricNameDescriptor { gauge("live_delivery_healing", "1 while live delivery is held because the backend's live feed was lost and is being healed, else 0.") }
    static var eventsDelivered: MetricNameDescriptor { counter("events_delivered", "Live events written to streams, one per event and stream.") }
    static var eventsReplayed: MetricNameDescriptor { counter("events_replayed", "Events of history written to streams that resumed (Last-Event-ID) or asked for history.") }
    static var eventsBackfilled: MetricNameDescriptor { counter("events_backfilled", "Events read from history to heal live delivery after the backend's live feed was lost.") }
    static var resets: MetricNameDescriptor { counter("resets", "Topics named in herald.reset notices sent to clients, by reason.") }
    static var slowReadersCut: MetricNameDescriptor { counter("slow_readers_cut", "Streams closed because their client did not read (queued bytes past --slow-client-buffer, or a stalled replay).") }
    static var deadPeersReleased: MetricNameDescriptor { counter("dead_peers_released", "Streams released because their peer stopped acknowledging (TCP_USER_TIMEOUT).") }
    static var streamsRefused: MetricNameDescriptor { counter("streams_refused", "GET /events answered with a retry stream (node full, shutting down, backend unavailable).") }
    static var acceptFailures: MetricNameDescriptor { counter("accept_failures", "accept() calls that failed for lack of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM).") }

    /// The prefix of the Redis client's metrics (see `RedisMetrics` in the Redis module):
    /// `herald_redis_command_duration_seconds`, `herald_redis_reconnects_total`,
    /// `herald_redis_open_connections`, `herald_redis_pubsub_connected`.
    public static let redisPrefix = "herald_redis"

    private static func counter(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: namespace, metricName: name, unitName: "total", helpText: help)
    }

    private static func gauge(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: namespace, metricName: name, unitName: "", helpText: help)
    }

    private static func descriptor(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: namespace, metricName: name, unitName: unit, helpText: help)
    }
}
