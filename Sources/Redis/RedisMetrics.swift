import CoreMetrics

/// What the Redis client records through swift-metrics: command round trips, reconnects, and whether its
/// connections are up. The default records nothing (swift-metrics' no-op handler); give a factory to export them.
///
/// Every metric moves once per command or per connection event, never per pub/sub message.
/// Names are `<prefix>_command_duration_seconds` (a timer), `<prefix>_reconnects_total` and
/// `<prefix>_open_connections` (label `connection`: `command` or `pubsub`), and `<prefix>_pubsub_connected`
/// (1 while the subscriber connection is open).
public struct RedisMetrics: Sendable {
    /// Time from writing a command (or pipeline) to reading its last reply, failures included.
    let commandDuration: Timer
    let commandReconnects: Counter
    let subscriberReconnects: Counter
    let openCommandConnections: Meter
    let subscriberConnected: Meter

    /// Metrics that go nowhere.
    public static var disabled: RedisMetrics { RedisMetrics(factory: NOOPMetricsHandler.instance, prefix: "redis") }

    /// Metrics created with `factory`, named `prefix` + `_command_duration_seconds` and so on.
    public init(factory: any MetricsFactory, prefix: String) {
        commandDuration = Timer(label: Self.commandDurationName(prefix: prefix), dimensions: [], factory: factory)
        commandReconnects = Counter(label: "\(prefix)_reconnects_total", dimensions: [("connection", "command")], factory: factory)
        subscriberReconnects = Counter(label: "\(prefix)_reconnects_total", dimensions: [("connection", "pubsub")], factory: factory)
        openCommandConnections = Meter(label: "\(prefix)_open_connections", dimensions: [("connection", "command")], factory: factory)
        subscriberConnected = Meter(label: "\(prefix)_pubsub_connected", dimensions: [], factory: factory)
        openCommandConnections.set(0)
        subscriberConnected.set(0)
    }

    /// The name of the command timer, for a factory that sets its buckets by name.
    public static func commandDurationName(prefix: String) -> String { "\(prefix)_command_duration_seconds" }
}
