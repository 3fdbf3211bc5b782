import ArgumentParser

/// The flags of `herald serve`. Each is optional here: `ServeSettings` falls back to the environment
/// variable, then to the default, and validates the result. Keep this list, the environment variable
/// names in `ServeSettings`, and docs/configuration.md in step.
struct ServeOptions: ParsableArguments {
    @Option(help: "Address to listen on. [env: HERALD_HOST] (default: 0.0.0.0)")
    var host: String?

    @Option(help: "Port to listen on. [env: HERALD_PORT] (default: 8080)")
    var port: Int?

    @Option(name: .customLong("redis-url"), help: "Redis to use, redis://[user:password@]host[:port][/db]; without it history is kept in memory. [env: HERALD_REDIS_URL] (default: none)")
    var redisURL: String?

    @Option(name: .customLong("redis-cluster"), help: "A Redis Cluster to use instead of --redis-url: seed nodes host:port[,host:port…], optionally as redis://[user:password@]host:port,host:port for credentials. [env: HERALD_REDIS_CLUSTER] (default: none)")
    var redisCluster: String?

    @Option(name: .customLong("redis-cluster-subscribe-on"), help: "Where a Redis Cluster shard's channels are subscribed: masters, or replicas (takes the pub/sub fan-out off the masters; a shard without an online replica uses its master). [env: HERALD_REDIS_CLUSTER_SUBSCRIBE_ON] (default: masters)")
    var redisClusterSubscribeOn: String?

    @Option(name: .customLong("redis-sentinel"), help: "Redis Sentinel addresses host:port[,host:port…] to find the primary by --redis-sentinel-master; optionally redis://[user:password@]host:port,… for the primary's credentials. [env: HERALD_REDIS_SENTINEL] (default: none)")
    var redisSentinel: String?

    @Option(name: .customLong("publish-replicas"), help: "Replicas that must hold a publish before it is acknowledged (Redis WAIT); 0 acknowledges once the primary stored it. [env: HERALD_PUBLISH_REPLICAS] (default: 0)")
    var publishReplicas: Int?

    @Option(name: .customLong("publish-replicas-timeout"), help: "How long a publish waits for --publish-replicas; past it, 503 (the event may exist: retry with the same Idempotency-Key). [env: HERALD_PUBLISH_REPLICAS_TIMEOUT] (default: 1s)")
    var publishReplicasTimeout: String?

    @Option(name: .customLong("redis-sentinel-master"), help: "The master name the sentinels monitor. [env: HERALD_REDIS_SENTINEL_MASTER] (default: none)")
    var redisSentinelMaster: String?

    @Option(name: .customLong("redis-sentinel-password"), help: "The sentinels' own password (requirepass in sentinel.conf), sent with AUTH to every sentinel; the primary's credentials go in --redis-sentinel. [env: HERALD_REDIS_SENTINEL_PASSWORD] (default: none)")
    var redisSentinelPassword: String?

    @Option(name: .customLong("redis-sentinel-username"), help: "The sentinels' ACL user, with --redis-sentinel-password. [env: HERALD_REDIS_SENTINEL_USERNAME] (default: none)")
    var redisSentinelUsername: String?

    @Option(help: "Prefix of every Redis key Herald writes. [env: HERALD_KEY_PREFIX] (default: herald)")
    var keyPrefix: String?

    @Option(help: "Events kept per topic for resume (Redis trims approximately, never below). [env: HERALD_HISTORY_LENGTH] (default: 1000)")
    var historyLength: Int?

    @Option(name: .customLong("redis-health-interval"), help: "An idle Redis connection is probed with PING this often. [env: HERALD_REDIS_HEALTH_INTERVAL] (default: 1s)")
    var redisHealthInterval: String?

    @Option(name: .customLong("redis-health-timeout"), help: "A Redis connection that owes a reply and sends nothing this long is closed as lost and reconnected; more than the interval. [env: HERALD_REDIS_HEALTH_TIMEOUT] (default: 3s)")
    var redisHealthTimeout: String?

    @Option(name: .customLong("redis-outage-grace"), help: "Cut off from Redis this long, the node closes its streams (over --drain-window) so that clients resume on other nodes. [env: HERALD_REDIS_OUTAGE_GRACE] (default: 5s)")
    var redisOutageGrace: String?

    @Option(help: "Maximum age of kept events, e.g. 10m, 24h; 0 keeps events until trimmed by length. [env: HERALD_HISTORY_MAX_AGE] (default: 0)")
    var historyMaxAge: String?

    @Option(name: .customLong("memory-max-topics"), help: "Memory backend only: most topics kept; one more drops the least recently published (a cursor into it gets herald.reset). [env: HERALD_MEMORY_MAX_TOPICS] (default: 100000)")
    var memoryMaxTopics: Int?

    @Option(help: "How long a publish's idempotency key is remembered, e.g. 10m, 1h. [env: HERALD_IDEMPOTENCY_WINDOW] (default: 10m)")
    var idempotencyWindow: String?

    @Option(help: "Idle streams get a comment this often. [env: HERALD_HEARTBEAT] (default: 15s)")
    var heartbeat: String?

    @Option(help: "The longest live events wait under load to be written together, e.g. 5ms: an idle event loop writes at once, one busy with a fan-out waits this long after an event; 0 always writes at once and groups only what arrives while busy. [env: HERALD_COALESCING_WINDOW] (default: 5ms)")
    var coalescingWindow: String?

    @Option(help: "The retry delay sent to browsers for reconnecting. [env: HERALD_RETRY] (default: 2s)")
    var retry: String?

    @Option(help: "Most topics one stream may subscribe to. [env: HERALD_MAX_TOPICS] (default: 32)")
    var maxTopics: Int?

    @Option(help: "Largest publish body, e.g. 1MiB, 512KiB, 65536. [env: HERALD_MAX_BODY_SIZE] (default: 1MiB)")
    var maxBodySize: String?

    @Option(help: "Most events in one batch publish. [env: HERALD_MAX_BATCH] (default: 1000)")
    var maxBatch: Int?

    @Option(help: "Most lines (events) in one streaming publish (application/x-ndjson). [env: HERALD_MAX_STREAM_LINES] (default: 100000)")
    var maxStreamLines: Int?

    @Option(help: "On shutdown, /readyz answers 503 while the node keeps serving this long, so load balancers take it out. [env: HERALD_DRAIN_GRACE] (default: 5s)")
    var drainGrace: String?

    @Option(help: "On shutdown, after the grace, streams close at random moments within this window. [env: HERALD_DRAIN_WINDOW] (default: 3s)")
    var drainWindow: String?

    @Option(help: "GET /readyz answers within this long; a check not finished by then answers 503. [env: HERALD_READINESS_TIMEOUT] (default: 1s)")
    var readinessTimeout: String?

    @Option(help: "Bytes queued for a client that does not read before its stream is closed. [env: HERALD_SLOW_CLIENT_BUFFER] (default: 4MiB)")
    var slowClientBuffer: String?

    @Option(help: "Web origins allowed to call Herald from a browser, comma-separated (https://app.example.com), or * for any origin without cookies. [env: HERALD_CORS_ORIGINS] (default: none)")
    var corsOrigins: String?

    @Option(help: "Most open connections on this node; beyond, streams get a retry stream and other requests 503. [env: HERALD_MAX_CONNECTIONS] (default: the open-file limit, raised to the hard limit, minus a reserve)")
    var maxConnections: Int?

    @Option(help: "Base of the retry delay sent with a temporary refusal of a stream (node full, shutting down, backend unavailable); it grows with the rate of refusals and gets ±50 % jitter. [env: HERALD_UNAVAILABLE_RETRY] (default: 3s)")
    var unavailableRetry: String?

    @Option(name: .customLong("max-connections-per-ip"), help: "Most open connections from one IP address; 0 for no limit. [env: HERALD_MAX_CONNECTIONS_PER_IP] (default: 0)")
    var maxConnectionsPerIP: Int?

    @Option(name: .customLong("publish-rate-per-ip"), help: "Events one IP address may publish per second; 0 for no limit. [env: HERALD_PUBLISH_RATE_PER_IP] (default: 0)")
    var publishRatePerIP: Int?

    @Option(help: "Largest data of one event, e.g. 64KiB. [env: HERALD_MAX_EVENT_SIZE] (default: 64KiB)")
    var maxEventSize: String?

    @Option(help: "Largest request line plus headers, e.g. 32KiB. [env: HERALD_MAX_HEADER_SIZE] (default: 32KiB)")
    var maxHeaderSize: String?

    @Option(name: .customLong("max-url-size"), help: "Longest request URL, e.g. 8KiB. [env: HERALD_MAX_URL_SIZE] (default: 8KiB)")
    var maxURLSize: String?

    @Option(help: "Time a client has to send a complete request, and the most a keep-alive connection idles. [env: HERALD_REQUEST_TIMEOUT] (default: 10s)")
    var requestTimeout: String?
    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain (the server's certificate, then intermediates) to serve HTTPS on --port; with --tls-key. Read again every --tls-reload-interval and on SIGHUP. [env: HERALD_TLS_CERT] (default: none, plaintext)")
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert. [env: HERALD_TLS_KEY] (default: none)")
    var tlsKey: String?

    @Option(name: .customLong("publish-tls-cert"), help: "PEM certificate chain for the separate publish listener (--publish-port); with --publish-tls-key. [env: HERALD_PUBLISH_TLS_CERT] (default: none, plaintext)")
    var publishTLSCert: String?

    @Option(name: .customLong("publish-tls-key"), help: "PEM private key of --publish-tls-cert. [env: HERALD_PUBLISH_TLS_KEY] (default: none)")
    var publishTLSKey: String?

    @Option(name: .customLong("tls-reload-interval"), help: "How often the TLS certificate and key files are read again (renewals are picked up without dropping streams); SIGHUP reloads at once. [env: HERALD_TLS_RELOAD_INTERVAL] (default: 60s)")
    var tlsReloadInterval: String?

    @Option(help: "on or off: TLS listeners offer HTTP/2 by ALPN (h2, then http/1.1). [env: HERALD_HTTP2] (default: on)")
    var http2: String?

    @Option(help: "on or off: cleartext listeners also take HTTP/2 with prior knowledge (h2c), as balancers that speak HTTP/2 to backends open it; HTTP/1.1 keeps working. [env: HERALD_H2C] (default: off)")
    var h2c: String?

    @Option(name: .customLong("h2-max-streams"), help: "Most concurrent streams (requests and event streams) on one HTTP/2 connection. [env: HERALD_H2_MAX_STREAMS] (default: 100)")
    var h2MaxStreams: Int?

    @Option(name: .customLong("proxy-protocol"), help: "on or off: every connection to --port starts with a PROXY protocol header (v1 or v2, HAProxy send-proxy-v2) naming the client; connections without one are refused. [env: HERALD_PROXY_PROTOCOL] (default: off)")
    var proxyProtocol: String?

    @Option(name: .customLong("trusted-proxies"), help: "Balancers (IPs or CIDRs, comma-separated) whose --client-address-header names the client; walked from the right past trusted entries. [env: HERALD_TRUSTED_PROXIES] (default: none)")
    var trustedProxies: String?

    @Option(name: .customLong("client-address-header"), help: "The header trusted proxies write the client's address in: x-forwarded-for or forwarded (RFC 7239). [env: HERALD_CLIENT_ADDRESS_HEADER] (default: x-forwarded-for)")
    var clientAddressHeader: String?

    @Option(help: "Address of the separate publish listener. [env: HERALD_PUBLISH_HOST] (default: the --host value)")
    var publishHost: String?

    @Option(help: "When set, POST /publish is served only on this port (an internal address), not on --port. [env: HERALD_PUBLISH_PORT] (default: none)")
    var publishPort: Int?

    @Option(help: "on or off: GET / serves the dashboard page (on the publish port when it is set). [env: HERALD_DASHBOARD] (default: on)")
    var dashboard: String?

    @Option(name: .customLong("publisher-jwt-key"), help: "Publisher JWT key: an HMAC secret (HS256), or a path to a PEM RSA (RS256) or EC P-256 (ES256) public key; publishing needs a token then. [env: HERALD_PUBLISHER_JWT_KEY] (default: none)")
    var publisherJWTKey: String?

    @Option(name: .customLong("publisher-api-key"), help: "Static API key a publisher may send as Authorization: Bearer; it allows every topic. [env: HERALD_PUBLISHER_API_KEY] (default: none)")
    var publisherAPIKey: String?

    @Option(name: .customLong("subscriber-jwt-key"), help: "Subscriber JWT key: an HMAC secret (HS256), or a path to a PEM RSA or EC P-256 public key; private topics need a token then. [env: HERALD_SUBSCRIBER_JWT_KEY] (default: none)")
    var subscriberJWTKey: String?

    @Option(name: .customLong("public-topics"), help: "Comma-separated topic patterns anyone may read when subscriber auth is on, e.g. news/*,status. [env: HERALD_PUBLIC_TOPICS] (default: none)")
    var publicTopics: String?

    @Option(name: .customLong("subscribe-auth-url"), help: "The application's auth hook: Herald POSTs each stream's private topics and the forwarded headers to it and opens the stream if it answers 200 (docs/security.md). [env: HERALD_SUBSCRIBE_AUTH_URL] (default: none)")
    var subscribeAuthURL: String?

    @Option(name: .customLong("publish-auth-url"), help: "The application's auth hook for publishes without a publisher credential Herald accepts: Herald POSTs their topics and the forwarded headers to it (docs/security.md). [env: HERALD_PUBLISH_AUTH_URL] (default: none)")
    var publishAuthURL: String?

    @Option(name: .customLong("subscribe-auth-forward-headers"), help: "Request headers forwarded to the auth hooks (subscribe and publish), comma-separated. [env: HERALD_SUBSCRIBE_AUTH_FORWARD_HEADERS] (default: cookie,authorization,origin)")
    var subscribeAuthForwardHeaders: String?

    @Option(name: .customLong("auth-cache-ttl"), help: "How long the hook's answer to the same credentials and topics is reused; its Cache-Control max-age wins, no-store turns it off. [env: HERALD_AUTH_CACHE_TTL] (default: 10s)")
    var authCacheTTL: String?

    @Option(name: .customLong("auth-timeout"), help: "The longest a stream waits for the hook's answer; past it the stream gets a retry stream. [env: HERALD_AUTH_TIMEOUT] (default: 2s)")
    var authTimeout: String?

    @Option(name: .customLong("auth-max-concurrent"), help: "The most calls to the hook in flight at once; the others wait their turn within --auth-timeout. [env: HERALD_AUTH_MAX_CONCURRENT] (default: 32)")
    var authMaxConcurrent: Int?

    @Option(name: .customLong("auth-fail-open-for-resumes"), help: "on or off: with the hook unreachable, a stream that resumes with the credentials and topics of a stream this node held in the last minute opens anyway. [env: HERALD_AUTH_FAIL_OPEN_FOR_RESUMES] (default: off)")
    var authFailOpenForResumes: String?

    @Option(name: .customLong("auth-cookie"), help: "Cookie a browser sends the subscriber token in. [env: HERALD_AUTH_COOKIE] (default: herald_token)")
    var authCookie: String?

    @Option(name: .customLong("jwt-audience"), help: "When set, tokens must name this audience in aud. [env: HERALD_JWT_AUDIENCE] (default: none)")
    var jwtAudience: String?

    @Option(name: .customLong("jwt-issuer"), help: "When set, tokens must have this iss. [env: HERALD_JWT_ISSUER] (default: none)")
    var jwtIssuer: String?

    @Option(help: "on or off: GET /metrics (Prometheus text), served on --publish-port when set, else on --port. [env: HERALD_METRICS] (default: on)")
    var metrics: String?

    @Option(help: "Event loop threads. [env: HERALD_THREADS] (default: number of cores)")
    var threads: Int?

    @Option(help: "trace, debug, info, notice, warning, error or critical. [env: HERALD_LOG_LEVEL] (default: info)")
    var logLevel: String?

    @Option(help: "text (readable lines) or json (one JSON object a line, stable keys). [env: HERALD_LOG_FORMAT] (default: text)")
    var logFormat: String?

    @Option(help: "on or off: an access log line at info per finished request and per closed stream. [env: HERALD_ACCESS_LOG] (default: on)")
    var accessLog: String?
}
