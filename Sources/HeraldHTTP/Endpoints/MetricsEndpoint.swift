import HeraldCore
import HeraldMetrics

/// `GET /metrics`: the node's metrics in the Prometheus text format (`HeraldMetrics`). Served where `/stats`
/// is: on the publish port when there is one (metrics are internal), otherwise on the main port; with
/// `--metrics off` it answers 404 with the JSON error.
///
/// The counters that move per delivered event live in each event loop's registry; a scrape hops to every
/// loop to add them up (`FanOut.counters()`), then reads the edge's own counters, and emits. One scrape
/// costs one task per event loop, whatever the number of streams.
enum MetricsEndpoint {
    /// The content type of the answer.
    static let contentType = HeraldMetrics.contentType

    static func answer(_ request: EndpointRequest) async throws -> EndpointResponse {
        EndpointResponse(contentType: contentType, body: try await text(app: request.app))
    }

    /// The exposition text; throws `notFound` when metrics are off.
    static func text(app: EdgeApplication) async throws -> String {
        guard let metrics = app.metrics else {
            throw EdgeError(.notFound, "metrics are off on this node; start it with --metrics on (HERALD_METRICS=on) to serve GET /metrics")
        }
        return metrics.exposition(await snapshot(app: app))
    }

    /// The node's counters now, summed over the event loops.
    static func snapshot(app: EdgeApplication) async -> NodeSnapshot {
        let fanOut = await app.fanOut.counters()
        var snapshot = NodeSnapshot()
        snapshot.openStreams = fanOut.streams
        snapshot.topicsWithSubscribers = fanOut.topics
        snapshot.liveDeliveryHealing = fanOut.isHealing
        snapshot.eventsDelivered = fanOut.eventsDelivered
        snapshot.eventsReplayed = fanOut.eventsReplayed
        snapshot.eventsBackfilled = fanOut.eventsBackfilled
        snapshot.resets = Dictionary(uniqueKeysWithValues: fanOut.resets.map { ($0.key.rawValue, $0.value) })
        snapshot.openConnections = app.connectionLimits.openCount
        snapshot.maxConnections = app.configuration.maxConnections
        snapshot.slowReadersCut = app.liveness.slowReadersCut
        snapshot.deadPeersReleased = app.liveness.deadPeersReleased
        snapshot.streamsRefused = app.capacity.streamsRefused.load(ordering: .relaxed)
        snapshot.acceptFailures = app.capacity.acceptFailures.load(ordering: .relaxed)
        return snapshot
    }
}
