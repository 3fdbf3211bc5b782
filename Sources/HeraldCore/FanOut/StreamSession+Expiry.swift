import NIOCore

extension StreamSession {
    /// The event type that ends a stream whose credential expired.
    public static let tokenExpiredEventType = "herald.token-expired"
    /// The event type that ends a revoked stream (`POST /disconnect`).
    public static let revokedEventType = "herald.revoked"

    /// Ends the stream because its credential expired: writes a `herald.token-expired` event carrying
    /// `{"message": …}` and closes. The event has no `id:`, so the client's Last-Event-ID stays at the last real
    /// event and a reconnect with a fresh token resumes exactly; a reconnect with the expired token gets 401.
    public func expire(message: String) {
        end(with: Self.tokenExpiredEventType, message: message, reason: .tokenExpired)
    }

    /// Ends the stream because the application revoked it (a logout, a ban): writes a `herald.revoked` event
    /// carrying `{"message": …}` and closes. As for expiry, the event has no `id:`.
    public func revoke(message: String) {
        end(with: Self.revokedEventType, message: message, reason: .revoked)
    }

    /// Writes a last event of `type` with `{"message": …}` (no `id:`) and closes for `reason`.
    private func end(with type: String, message: String, reason: StreamCloseReason) {
        loop.preconditionInEventLoop()
        guard !isClosed else { return }
        let data = "{\"message\":\(JSONText.quoted(message))}"
        write(WireChunk {
            SSEEncoder.appendFields(type: type, data: ByteBuffer(string: data), to: &$0)
            $0.writeStaticString("\n")
        })
        flushIfNeeded()
        close(reason: reason)
    }
}
