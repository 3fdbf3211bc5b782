/// Validation of the optional SSE event type (`event:` field) a publisher may set.
public enum EventType {
    /// The longest event type accepted, in UTF-8 bytes.
    public static let maximumLength = 256
    /// Event types starting with this prefix are Herald's own (for example `herald.reset`).
    public static let reservedPrefix = "herald."

    /// Checks that `type` can be written as one `event:` line and does not impersonate Herald's own events.
    public static func validate(_ type: String) throws(HeraldError) {
        guard !type.isEmpty else {
            throw HeraldError(.invalidEventType, "event is empty; omit the field to send a plain message event")
        }
        guard type.utf8.count <= maximumLength else {
            throw HeraldError(.invalidEventType, "event is longer than \(maximumLength) bytes; shorten it")
        }
        if type.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D || $0 == 0x00 }) {
            throw HeraldError(.invalidEventType, "event contains CR, LF or NUL, which would break the SSE stream; remove them")
        }
        if type.hasPrefix(reservedPrefix) {
            throw HeraldError(.invalidEventType, "event names starting with \"\(reservedPrefix)\" are reserved for Herald's own events")
        }
    }
}
