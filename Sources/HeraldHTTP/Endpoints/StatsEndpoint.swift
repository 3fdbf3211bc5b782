/// `GET /stats`: counters of the node as one JSON object, one top-level key per concern. Served on the
/// publish port when there is one (it is internal), otherwise on the main port.
///
/// - `capacity`: the connection limit and descriptor limit in force, open connections, refusals, and `accept`
///   failures for lack of descriptors or memory with the pauses they caused (`CapacityCounters`).
/// - `liveness`: streams released because their peer vanished (`LivenessCounters`).
/// - `perTopicEntries`: the entries of every structure keyed by topic or Redis channel (see
///   `PerTopicEntries`): with no stream open, all are zero except the memory backend's retained topics
///   (`memoryTopics`, `memoryRecency`), so a leak shows as a number. Counting them takes one hop to each
///   event loop and the broker's locks; it is meant for operators and tests, not for scraping many times a second.
/// - `node`: version, backend, uptime, open streams, and topics with a stream on this node.
/// - `busiestTopics`: this node's top topics by streams (`bySubscribers`) and by events delivered per second,
///   averaged over about the last 10 s (`byEventsPerSecond`, topics with a rate above zero); ten of each, busiest
///   first (`StatsEndpoint+BusiestTopics.swift`).
enum StatsEndpoint {
    static func answer(_ request: EndpointRequest) async throws -> EndpointResponse {
        .json(await json(app: request.app))
    }

    static func json(app: EdgeApplication) async -> String {
        let capacity = app.capacity.json(
            maxConnections: app.configuration.maxConnections,
            openConnections: app.connectionLimits.openCount,
            descriptorLimit: app.configuration.descriptorLimit
        )
        var entries = await app.fanOut.perTopicEntries()
        entries.merge(app.opener.perTopicEntries)
        entries.merge(await app.broker.perTopicEntries())
        let activity = await app.fanOut.topicActivity()
        let node = await nodeJSON(app: app, topics: activity.count)
        return "{\"capacity\":\(capacity),\"liveness\":\(app.liveness.json),\"perTopicEntries\":\(entries.json),"
            + "\"node\":\(node),\"busiestTopics\":\(busiestJSON(activity))}"
    }
}
