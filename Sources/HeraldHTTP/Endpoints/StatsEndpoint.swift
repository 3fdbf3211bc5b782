import HeraldCore

/// `GET /stats`: debug counters of the node as JSON, on the publish listener when there is one (an internal
/// address), otherwise on the main one.
///
/// `perTopicEntries` counts the entries of every structure keyed by topic or Redis channel (see
/// `PerTopicEntries`): with no stream open, all are zero except the memory backend's retained topics
/// (`memoryTopics`, `memoryRecency`), so a leak shows as a number. Counting takes one hop to each event
/// loop and the broker's locks; it is meant for operators and tests, not for scraping many times a second.
enum StatsEndpoint {
    static func body(app: EdgeApplication) async -> String {
        var entries = await app.fanOut.perTopicEntries()
        entries.merge(app.opener.perTopicEntries)
        entries.merge(await app.broker.perTopicEntries())
        return "{\"perTopicEntries\":\(entries.json)}"
    }
}
