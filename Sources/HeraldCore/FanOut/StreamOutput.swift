import Logging

/// Where a `StreamSession` writes: the edge's connection (an HTTP/1.1 response body in production).
///
/// Calls happen on the session's event loop. `write` only queues; `flush` sends what was queued.
public protocol StreamOutput: AnyObject {
    func write(_ chunk: WireChunk)
    func flush()
    /// Closes the connection for `reason`; the edge then calls `StreamSession.connectionClosed()`.
    func close(reason: StreamCloseReason)
    /// Whether the connection takes more bytes now (its queue is below its high-water mark). A session
    /// paces its replay by it; when it turns true again, the edge calls `StreamSession.outputBecameWritable()`.
    var isWritable: Bool { get }
    /// Bytes written and not yet taken by the client's socket. A replay that waits is cut only if this did
    /// not go down for a while (the client read nothing).
    var queuedByteCount: Int { get }
    /// Closes the connection of a client that does not read (see `StreamSession+Replay.swift`), saying so
    /// in the edge's log.
    func closeSlowReader()
    /// The catch-up (reset notice, replayed history, buffered live events) has been written: from here on
    /// the output may hold the client to its slow-reader limit.
    func catchUpWritten()
    /// The reconnection delay, in milliseconds, to send with a `herald.unavailable` notice when the stream
    /// closes before it opened (the backend could not serve it): the edge's jittered refusal retry.
    var unavailableRetryMilliseconds: Int { get }
    /// Metadata the session adds to its log lines (the edge's request id).
    var logMetadata: Logger.Metadata { get }
}

extension StreamOutput {
    public var isWritable: Bool { true }
    public var queuedByteCount: Int { 0 }
    public func closeSlowReader() { close(reason: .slowReader) }
    public func catchUpWritten() {}
    /// why: 3 s is what EventSource waits when the server never set a `retry:`.
    public var unavailableRetryMilliseconds: Int { 3000 }
    public var logMetadata: Logger.Metadata { [:] }
}
