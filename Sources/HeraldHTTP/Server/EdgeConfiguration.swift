import NIOCore

/// Settings of the HTTP edge. Defaults are the documented defaults of `herald serve` (docs/configuration.md).
public struct EdgeConfiguration: Sendable {
    /// Address to listen on.
    public var host: String = "0.0.0.0"
    /// Port to listen on; 0 picks a free port (tests).
    public var port: Int = 8080
    /// Largest accepted publish body. why: one request must not be able to exhaust memory.
    public var maxBodySize: Int = 1 << 20
    /// Most events in one batch publish.
    public var maxBatchSize: Int = 1000
    /// Most topics one SSE connection may subscribe to.
    public var maxTopicsPerConnection: Int = 32
    /// The `retry:` a stream starts with: how long a browser waits before reconnecting.
    public var retryInterval: TimeAmount = .milliseconds(2000)
    /// On graceful shutdown, `/readyz` answers 503 for this long while the node keeps serving, before
    /// streams are closed. why: load balancers take a node out after a few failed health checks.
    public var drainGrace: TimeAmount = .seconds(5)
    /// On graceful shutdown, streams are closed at random moments within this window.
    /// why: spreads the reconnects of a stopping node's clients over the other nodes.
    public var drainWindow: TimeAmount = .seconds(3)
    /// Bytes queued for a client that does not read before its stream is closed.
    /// why: a stuck client must not hold unbounded memory; it resumes exactly from its cursor when it comes back.
    public var slowClientBufferLimit: Int = 4 << 20

    public init() {}
}
