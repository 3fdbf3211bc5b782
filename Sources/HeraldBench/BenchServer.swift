/// Which broker a benchmark loads: the URLs of subscribing and publishing and what a publish looks like.
///
/// Guarantees: the subscriber and publisher of one topic always agree on the topic name; topics are
/// `bench-<n>`, which needs no escaping in a URL or in JSON.
package enum BenchServer: String, Sendable, Codable, CaseIterable {
    /// Herald: `GET /events?topic=T`; `POST /publish` with `{"topic":T,"data":"…"}` or a JSON array of those.
    case herald
    /// nchan: `GET /sub?topic=T` (EventSource); `POST /pub?topic=T` with the raw data as the body, one event
    /// per request; any 2xx answer is success (nchan answers 201 or 202).
    case nchan

    /// The path of an event stream of `topic`.
    func subscribePath(topic: String) -> String {
        switch self {
        case .herald: "/events?topic=\(topic)"
        case .nchan: "/sub?topic=\(topic)"
        }
    }

    /// Whether one request can carry several events.
    package var supportsBatches: Bool {
        self == .herald
    }
}
