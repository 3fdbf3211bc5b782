/// Why an event stream ended, as its access log line says (`herald.close.reason`).
public enum StreamCloseReason: String, Sendable {
    /// The client closed the connection (a browser tab went away, `EventSource.close()`).
    case clientClosed = "client_closed"
    /// The client did not read: its queued bytes passed the slow-reader limit, or its replay stalled.
    case slowReader = "slow_reader"
    /// The stream's access token expired (`herald.token-expired`).
    case tokenExpired = "token_expired"
    /// The application revoked the stream (`POST /disconnect`, `herald.revoked`).
    case revoked = "revoked"
    /// An event was missing on the live path; the client resumes from its cursor.
    case liveGap = "live_gap"
    /// Live delivery could not be healed from history after the backend's feed was lost; the client resumes.
    case unhealed = "unhealed"
    /// The node is shutting down; the client resumes on another node.
    case draining = "draining"
    /// The backend could not serve the stream's history (`herald.unavailable`).
    case backendUnavailable = "backend_unavailable"
    /// The peer stopped acknowledging bytes (it vanished without closing).
    case deadPeer = "dead_peer"
    /// The stream was refused before it opened (node full, shutting down, backend unavailable) with a
    /// retry stream that brings the browser back later.
    case refused = "refused"
    /// The connection failed with another error.
    case connectionError = "connection_error"
}
