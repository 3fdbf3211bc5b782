import HeraldClient

extension SSEStream {
    /// Reads the next `count` events (bounded in time) and returns them.
    package func events(_ count: Int, timeout: Duration = .seconds(10)) async throws -> [SSEEvent] {
        var events: [SSEEvent] = []
        while events.count < count {
            guard let event = try await nextEvent(timeout: timeout) else { break }
            events.append(event)
        }
        return events
    }
}
