import HeraldClient

/// What a temporarily refused `GET /events` sent: a `200` event stream with `retry:`, one
/// `herald.unavailable` event, and the end of the stream.
package struct StreamRefusal: Sendable {
    /// The `retry:` value, in milliseconds.
    package var retry: Int?
    /// The `herald.unavailable` event, if one came.
    package var notice: SSEEvent?
    /// Everything else that came (events of other types, comments): nothing, for a refusal.
    package var other: [String] = []
    /// True when the server ended the stream after the notice.
    package var ended = false

    /// `code` of the notice's JSON data.
    package var code: String? { notice.flatMap { TestNode.field("code", in: $0.data) } }
    /// `retryAfterMs` of the notice's JSON data.
    package var retryAfterMilliseconds: Int? { notice.flatMap { TestNode.number("retryAfterMs", in: $0.data) } }
}

extension SSEStream {
    /// Reads the stream to its end (bounded: `timeout` for each item) as a refusal.
    package func refusal(timeout: Duration = .seconds(10)) async throws -> StreamRefusal {
        var refusal = StreamRefusal()
        while let item = try await next(timeout: timeout) {
            switch item {
            case .retry(let milliseconds): refusal.retry = milliseconds
            case .event(let event) where event.type == "herald.unavailable" && refusal.notice == nil: refusal.notice = event
            case .event(let event): refusal.other.append("\(event.type) \(event.data)")
            case .comment(let text): refusal.other.append(": \(text)")
            }
        }
        refusal.ended = true
        return refusal
    }
}
