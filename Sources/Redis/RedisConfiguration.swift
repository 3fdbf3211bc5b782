import NIOCore

/// How to reach and talk to one Redis server.
///
/// A plain value with documented defaults; ``validate()`` reports the first invalid
/// field as ``RedisError/Code/invalidConfiguration`` so that startup can stop with a
/// clear message. Nothing falls back silently.
public struct RedisConfiguration: Sendable {
    /// The host name or IP address of the server.
    public var host: String
    /// The TCP port. Default 6379.
    public var port: Int
    /// The password sent with `AUTH` after connecting; `nil` sends no `AUTH`.
    public var password: String?
    /// The ACL user sent with `AUTH user password`; ignored without a password.
    public var username: String?
    /// The database selected with `SELECT` after connecting. Default 0 (no `SELECT`).
    public var database: Int

    // why: a dead host otherwise holds a reconnect attempt for the kernel's SYN timeout (minutes).
    /// How long a TCP connect may take. Default 2 s.
    public var connectTimeout: TimeAmount

    // why: a wedged connection must not hang publishers forever; 5 s is far above any
    // healthy Redis latency yet short enough for callers to answer within an HTTP timeout.
    /// How long Redis may take to answer the oldest pending command before the
    /// connection is closed and its commands fail with ``RedisError/Code/timeout``. Default 5 s.
    public var commandTimeout: TimeAmount

    // why: short enough that a Redis restart is healed quickly, long enough not to spin.
    /// The first delay before reconnecting after a connection loss. Default 50 ms.
    public var reconnectBackoffMinimum: TimeAmount

    // why: bounds the outage seen by clients once Redis is back, and the load of retries while it is not.
    /// The longest delay between reconnection attempts. Default 2 s.
    public var reconnectBackoffMaximum: TimeAmount

    // why: a probe a second costs Redis nothing and lets a silent link be found within a few seconds.
    /// How long a connection may stay idle before it is probed with `PING` (allowed on a subscribed
    /// connection too). Default 1 s.
    public var healthCheckInterval: TimeAmount

    // why: three intervals without a byte is far beyond any healthy round trip, yet short enough that
    // clients of a node cut off from Redis move elsewhere within seconds.
    /// How long a connection that owes a reply may send nothing before it is closed as lost (and
    /// reconnected). It also sets `TCP_USER_TIMEOUT` on Redis sockets. Default 3 s; more than the interval.
    public var healthCheckTimeout: TimeAmount

    // why: one per core of the target machine; pipelining makes more rarely useful.
    /// How many pipelined command connections ``RedisClient`` keeps open. Default 2.
    public var commandConnectionCount: Int

    /// Creates a configuration; every parameter but `host` has the documented default.
    public init(
        host: String,
        port: Int = 6379,
        password: String? = nil,
        username: String? = nil,
        database: Int = 0,
        connectTimeout: TimeAmount = .seconds(2),
        commandTimeout: TimeAmount = .seconds(5),
        reconnectBackoffMinimum: TimeAmount = .milliseconds(50),
        reconnectBackoffMaximum: TimeAmount = .seconds(2),
        healthCheckInterval: TimeAmount = .seconds(1),
        healthCheckTimeout: TimeAmount = .seconds(3),
        commandConnectionCount: Int = 2
    ) {
        self.host = host
        self.port = port
        self.password = password
        self.username = username
        self.database = database
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.reconnectBackoffMinimum = reconnectBackoffMinimum
        self.reconnectBackoffMaximum = reconnectBackoffMaximum
        self.healthCheckInterval = healthCheckInterval
        self.healthCheckTimeout = healthCheckTimeout
        self.commandConnectionCount = commandConnectionCount
    }

    /// Throws ``RedisError/Code/invalidConfiguration`` naming the first invalid field.
    public func validate() throws(RedisError) {
        func invalid(_ message: String) -> RedisError {
            RedisError(.invalidConfiguration, message: message)
        }
        if self.host.isEmpty {
            throw invalid("redis host is empty")
        }
        if !(1...65535).contains(self.port) {
            throw invalid("redis port \(self.port) is out of range 1-65535")
        }
        if self.database < 0 {
            throw invalid("redis database \(self.database) is negative")
        }
        if self.username != nil && self.password == nil {
            throw invalid("redis username is set without a password; AUTH needs both")
        }
        if self.connectTimeout <= .zero || self.commandTimeout <= .zero {
            throw invalid("redis connect and command timeouts must be positive")
        }
        if self.reconnectBackoffMinimum <= .zero || self.reconnectBackoffMaximum < self.reconnectBackoffMinimum {
            throw invalid("redis reconnect backoff needs 0 < minimum <= maximum")
        }
        if self.healthCheckInterval <= .zero || self.healthCheckTimeout <= self.healthCheckInterval {
            throw invalid("redis health check needs 0 < interval < timeout (the timeout must leave room for a probe)")
        }
        if self.commandConnectionCount < 1 {
            throw invalid("redis command connection count must be at least 1, got \(self.commandConnectionCount)")
        }
    }

    /// `host:port`, bracketing IPv6 addresses; for logs and messages.
    var serverDescription: String {
        self.host.contains(":") ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)"
    }
}
