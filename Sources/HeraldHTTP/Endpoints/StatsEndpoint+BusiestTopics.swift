import HeraldCore

extension StatsEndpoint {
    /// How many topics each list of `busiestTopics` shows. why: enough for a dashboard's table; the lists are
    /// sorted in full on every request, which is cheap next to the hop to every event loop that gathers them.
    static let busiestTopicsShown = 10

    /// `{"version":…,"backend":…,"uptimeSeconds":…,"streams":…,"topics":…}`.
    static func nodeJSON(app: EdgeApplication, topics: Int) async -> String {
        let uptime = (ContinuousClock.now - app.startedAt).components.seconds
        let streams = await app.fanOut.sessionCount()
        return "{\"version\":\(JSONText.quoted(HeraldVersion.current)),\"backend\":\(JSONText.quoted(app.broker.name)),"
            + "\"uptimeSeconds\":\(uptime),\"streams\":\(streams),\"topics\":\(topics)}"
    }

    /// `{"bySubscribers":[{"topic":…,"subscribers":…}…],"byEventsPerSecond":[{"topic":…,"eventsPerSecond":…}…]}`,
    /// each list busiest first (ties by topic name) and at most `busiestTopicsShown` long.
    static func busiestJSON(_ activity: [TopicActivity]) -> String {
        let bySubscribers = activity
            .sorted { ($0.subscribers, $1.topic) > ($1.subscribers, $0.topic) }
            .prefix(busiestTopicsShown)
            .map { "{\"topic\":\(JSONText.quoted($0.topic.name)),\"subscribers\":\($0.subscribers)}" }
        let byRate = activity
            .map { ($0.topic, rounded($0.eventsPerSecond)) }
            .filter { $0.1 > 0 }
            .sorted { ($0.1, $1.0) > ($1.1, $0.0) }
            .prefix(busiestTopicsShown)
            .map { "{\"topic\":\(JSONText.quoted($0.0.name)),\"eventsPerSecond\":\($0.1)}" }
        return "{\"bySubscribers\":[\(bySubscribers.joined(separator: ","))],\"byEventsPerSecond\":[\(byRate.joined(separator: ","))]}"
    }

    /// A rate to three decimals. why: an average that fades away after a burst would otherwise list topics at
    /// 1e-9 events/s for minutes.
    private static func rounded(_ rate: Double) -> Double {
        (rate * 1000).rounded() / 1000
    }
}
