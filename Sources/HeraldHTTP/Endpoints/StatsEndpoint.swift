/// `GET /stats`: counters of the node as one JSON object, one top-level key per concern. Served on the
/// publish port when there is one (it is internal), otherwise on the main port.
///
/// `liveness`: streams released because their peer vanished (`LivenessCounters`).
enum StatsEndpoint {
    static func json(app: EdgeApplication) -> String {
        "{\"liveness\":\(app.liveness.json)}"
    }
}
