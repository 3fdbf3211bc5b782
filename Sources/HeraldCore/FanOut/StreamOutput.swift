/// Where a `StreamSession` writes: the edge's connection (an HTTP/1.1 response body in production).
///
/// Calls happen on the session's event loop. `write` only queues; `flush` sends what was queued.
public protocol StreamOutput: AnyObject {
    func write(_ chunk: WireChunk)
    func flush()
    /// Closes the connection; the edge then calls `StreamSession.connectionClosed()`.
    func close()
}
