/// Where a `StreamSession` writes: the edge's connection (an HTTP/1.1 response body in production).
///
/// Calls happen on the session's event loop. `write` only queues; `flush` sends what was queued.
public protocol StreamOutput: AnyObject {
    func write(_ chunk: WireChunk)
    func flush()
    /// Closes the connection; the edge then calls `StreamSession.connectionClosed()`.
    func close()
    /// The catch-up (reset notice, replayed history, buffered live events) has been written: from here on
    /// the output may hold the client to its slow-reader limit.
    func catchUpWritten()
}

extension StreamOutput {
    public func catchUpWritten() {}
}
