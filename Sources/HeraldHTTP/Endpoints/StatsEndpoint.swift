/// `GET /stats`: counters of the node as one JSON object, one top-level key per concern. Served on the
/// publish port when there is one (it is internal), otherwise on the main port.
///
/// - `capacity`: the connection limit and descriptor limit in force, open connections, refusals, and `accept`
///   failures for lack of descriptors or memory with the pauses they caused (`CapacityCounters`).
/// - `liveness`: streams released because their peer vanished (`LivenessCounters`).
enum StatsEndpoint {
    static func json(app: EdgeApplication) -> String {
        let capacity = app.capacity.json(
            maxConnections: app.configuration.maxConnections,
            openConnections: app.connectionLimits.openCount,
            descriptorLimit: app.configuration.descriptorLimit
        )
        return "{\"capacity\":\(capacity),\"liveness\":\(app.liveness.json)}"
    }
}
