import HeraldAuth
import HeraldHooks
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
    /// Most lines (events) in one streaming publish (an NDJSON body). why: a request that never ends must
    /// still be bounded; a long answer of a language model is a few thousand tokens.
    public var maxStreamLines: Int = 100_000
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
    /// A stream whose client takes no byte of its replay (history sent on resume) for this long is closed.
    /// why: its replay is held in memory until written; a client that reads at all, however slowly, is not
    /// cut by it (one whose buffered live events pass `slowClientBufferLimit` meanwhile is cut at once).
    public var replayStallLimit: TimeAmount = .seconds(30)
    /// `/readyz` answers within this long, 503 when the readiness check has not finished by then.
    /// why: a load balancer's health check must get an answer, never a hang, whatever the backend does.
    public var readinessTimeout: TimeAmount = .seconds(1)
    /// A client connection whose written bytes stay unacknowledged this long is dropped (`TCP_USER_TIMEOUT`,
    /// plus keepalive). `herald serve` sets it to the heartbeat interval, so that a vanished client's stream is
    /// released within about two heartbeats (the next heartbeat, then this long without an acknowledgement).
    public var deadPeerTimeout: TimeAmount = .seconds(15)
    /// Limits on what one request may send, and how slowly.
    public var requestLimits = RequestLimits()
    /// Most open connections (streams and requests) on this node; beyond it, `GET /events` gets a retry
    /// stream (`herald.unavailable`) and other requests `503` with `Retry-After`.
    /// why: past the file-descriptor limit a node fails in worse ways; refusing early lets the load
    /// balancer and clients go elsewhere. `herald serve` derives it from the descriptor limit (`DescriptorBudget`).
    public var maxConnections = 100_000
    /// The open-file limit in force, when known (reported by `/stats`).
    public var descriptorLimit: Int?
    /// The base of the `retry:` sent with a temporary refusal of a stream; it grows with the rate of
    /// refusals and gets ±50 % jitter (`RefusalBackoff`).
    public var unavailableRetry: TimeAmount = .seconds(3)
    /// Most open connections from one IP address; 0 for no limit. Behind a load balancer every client has
    /// the balancer's address, so set it only where clients connect directly.
    public var maxConnectionsPerAddress = 0
    /// Events one IP address may publish per second (a batch counts each event); 0 for no limit.
    public var publishRatePerAddress = 0
    /// Largest `data` of one event, in bytes. why: one event is written to every subscriber of its topic.
    public var maxEventSize = 64 << 10

    /// Longest line of a streaming publish: twice `maxEventSize` plus 1 KiB, room for the JSON escapes of
    /// the largest data and the other fields. A longer line is refused as soon as that many bytes arrived.
    public var maxStreamLineSize: Int { 2 * maxEventSize + 1024 }
    /// Whether each finished request and closed stream gets an access log line at info (`AccessLog`).
    public var accessLog = true
    /// Cross-origin access for browsers; nil sends no CORS headers (same-origin pages only).
    public var cors: CORSPolicy?
    /// Publisher and subscriber auth; both off by default (anyone may publish, every topic is public).
    public var auth = Authorizer()
    /// The application's auth hook for event streams (`--subscribe-auth-url`); nil: none.
    public var subscribeHook: AuthHookSettings?
    /// The application's auth hook for publishes (`--publish-auth-url`); nil: none.
    public var publishHook: AuthHookSettings?
    /// Address of the separate publish listener (see `publishPort`); nil means the same as `host`.
    public var publishHost: String?
    /// When set, `POST /publish` is served only on this port (with `/healthz` and `/readyz`), not on `port`:
    /// the publish API can then stay on an internal network. 0 picks a free port (tests).
    public var publishPort: Int?
    /// Whether `GET /` serves the dashboard page (internal, like `/stats`); off, it answers `404`.
    public var dashboard = true
    /// Whether `GET /metrics` (Prometheus text) is served, where `/stats` is; off, it answers 404.
    public var metrics = true
    /// Whether every connection to the main listener must start with a PROXY protocol header (version 1 or
    /// 2), whose source address is then the client's; a connection without one gets `400` and is closed.
    /// The separate publish listener (`publishPort`) never expects one.
    public var proxyProtocol = false
    /// TLS on the main listener (`--tls-cert`, `--tls-key`); nil serves plaintext. Run it as a service too:
    /// it reloads its certificate while the node runs.
    public var tls: EdgeTLS?
    /// TLS on the separate publish listener (`--publish-tls-cert`, `--publish-tls-key`); nil serves it in
    /// plaintext (it is meant for an internal network).
    public var publishTLS: EdgeTLS?
    /// HTTP/2 at the edge.
    public var http2 = HTTP2Settings()
    /// The balancers whose forwarded-address header names the client (`TrustedProxies`); nil: the peer's
    /// address (or the PROXY header's) is the client's.
    public var trustedProxies: TrustedProxies?

    public init() {}

    /// HTTP/2: offered by ALPN on TLS listeners, and in cleartext with prior knowledge when asked for.
    public struct HTTP2Settings: Sendable {
        /// Whether TLS listeners offer `h2` by ALPN (before `http/1.1`). why: a browser holds at most six
        /// HTTP/1.1 connections per origin, so a seventh `EventSource` waits; over HTTP/2 each is a stream.
        public var enabled = true
        /// Whether cleartext listeners also take HTTP/2 with prior knowledge (h2c), as balancers that speak
        /// HTTP/2 to their backends open it; HTTP/1.1 still works there.
        public var cleartext = false
        /// Most concurrent streams of one connection (`SETTINGS_MAX_CONCURRENT_STREAMS`). why: each stream
        /// holds a session and buffers; 100 is what browsers and balancers expect.
        public var maxConcurrentStreams = 100

        public init() {}
    }

    /// Limits on reading one request.
    public struct RequestLimits: Sendable {
        /// Largest request line plus headers, in bytes; beyond it, `431`. why: bounds the memory a request
        /// can hold before it is even routed; 32 KiB fits long cookies and tokens.
        public var maxHeaderSize = 32 << 10
        /// Longest URL (path and query), in bytes; beyond it, `414`.
        public var maxURLSize = 8 << 10
        /// Time a client has to send a complete request (and the most a keep-alive connection may idle
        /// between requests); beyond it, `408`. why: defeats clients that trickle bytes to hold connections.
        public var requestTimeout: TimeAmount = .seconds(10)

        public init() {}
    }
}
