/// One event dispatched by ``SSEParser``, as a browser's `EventSource` would deliver it.
public struct SSEEvent: Sendable, Equatable {
    /// The `event:` field, or `"message"` when the event had none (or an empty one).
    public var type: String
    /// The `data:` lines joined with `\n` (no trailing newline).
    public var data: String
    /// The last event id at dispatch: set by this event's `id:` field or by an earlier one; `nil` when
    /// empty (no `id:` yet, or reset by an empty `id:`).
    public var id: String?

    public init(type: String = "message", data: String, id: String? = nil) {
        self.type = type
        self.data = data
        self.id = id
    }
}
