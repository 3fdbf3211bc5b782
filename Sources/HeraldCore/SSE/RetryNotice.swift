import NIOCore

/// The SSE bytes that tell a browser "not now, come back": a `retry:` field and a named event
/// `herald.unavailable` whose data is `{"code":"…","message":"…","retryAfterMs":N}`.
///
/// Guarantees: the event has no `id:` line, so the browser's `Last-Event-ID` stays at the last real event and
/// the reconnect resumes exactly; the `retry:` value and `retryAfterMs` are the same number, so a page that
/// reads the event knows when its `EventSource` comes back. Written as the whole body of a refused stream
/// (`RetryRefusal` in HeraldHTTP) or as the last bytes of a stream that closes for a reason retrying can fix.
public struct RetryNotice: Sendable, Equatable {
    /// The event type; the `herald.` prefix is reserved, so no published event can look like it.
    public static let eventType = "herald.unavailable"

    /// A stable reason, e.g. `too_many_connections`, `shutting_down`, `backend_unavailable`.
    public var code: String
    /// Safe to show: what happened and what the client does about it.
    public var message: String
    /// How long the browser waits before reconnecting, in milliseconds.
    public var retryAfterMilliseconds: Int

    public init(code: String, message: String, retryAfterMilliseconds: Int) {
        self.code = code
        self.message = message
        self.retryAfterMilliseconds = max(0, retryAfterMilliseconds)
    }

    /// The event's data: `{"code":…,"message":…,"retryAfterMs":…}`.
    public var json: String {
        "{\"code\":\(JSONText.quoted(code)),\"message\":\(JSONText.quoted(message)),\"retryAfterMs\":\(retryAfterMilliseconds)}"
    }

    /// Appends `retry: N`, then the `herald.unavailable` event (type and data, no id) and its blank line.
    public func append(to buffer: inout ByteBuffer) {
        SSEEncoder.appendRetry(milliseconds: retryAfterMilliseconds, to: &buffer)
        SSEEncoder.appendFields(type: Self.eventType, data: ByteBuffer(string: json), to: &buffer)
        buffer.writeStaticString("\n")
    }

    /// The notice as a buffer of its own.
    public var bytes: ByteBuffer {
        var buffer = ByteBuffer()
        append(to: &buffer)
        return buffer
    }
}
