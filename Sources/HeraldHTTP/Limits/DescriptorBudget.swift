#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How many client connections this process can hold: its open-file limit (`RLIMIT_NOFILE`), raised at
/// startup from the soft to the hard limit, minus a reserve for everything that is not a client.
///
/// Guarantees: with `--max-connections` at or below ``connections``, a full node still has descriptors to
/// reconnect to Redis, to accept on the publish listener, to accept and refuse (with a retry stream) the
/// clients past the limit, and to open files; a node past its file limit instead fails `accept` (then pauses
/// accepting, see `AcceptPauseReporter`) and cannot reconnect to Redis.
public struct DescriptorBudget: Sendable, Equatable {
    /// Descriptors of the process itself: stdin, stdout, stderr, the listening sockets, log and key files.
    public static let processFiles = 32
    /// Per event loop thread: its epoll, eventfd and timerfd.
    public static let perThread = 3
    /// Per Redis connection: 2, because a reconnect opens its new socket while the old one may still close.
    public static let perRedisConnection = 2
    /// Connections of the separate publish listener (`--publish-port`) that may exceed `--max-connections`,
    /// so that a node full of streams still takes publishes from the internal network.
    public static let publishConnections = 64
    /// Outgoing HTTP clients to come (webhooks, metrics push) and files opened while serving.
    public static let clientsAndFiles = 32
    /// Per connection the auth hooks' pools may open (`--auth-max-concurrent` per hook): a node full of streams
    /// must still reach the application's hook, or its hooked streams and publishes fail.
    public static let perHookConnection = 1
    /// Clients past the limit hold a descriptor from `accept` until their refusal is written: at least this many,
    /// or `refusalShare` of the limit, are kept for them.
    public static let refusalsInFlight = 16
    public static let refusalShare = 0.01

    /// The soft limit the process started with.
    public var softLimitAtStart: Int
    /// The soft limit in force: the hard limit when raising it worked, else the one at start.
    public var limit: Int
    /// The hard limit, or nil when it is unlimited.
    public var hardLimit: Int?
    /// Descriptors kept for everything that is not a client connection.
    public var reserve: Int

    /// The client connections that fit: `limit - reserve`, at least 1.
    public var connections: Int { max(1, limit - reserve) }

    public init(softLimitAtStart: Int, limit: Int, hardLimit: Int?, threads: Int, redisConnections: Int, hookConnections: Int = 0) {
        self.softLimitAtStart = softLimitAtStart
        self.limit = limit
        self.hardLimit = hardLimit
        self.reserve = Self.reserve(limit: limit, threads: threads, redisConnections: redisConnections, hookConnections: hookConnections)
    }

    /// The reserve for a process with `limit` descriptors, `threads` event loops, `redisConnections`
    /// connections to Redis (0 with the memory backend) and `hookConnections` to the auth hooks; the sum of the
    /// documented parts above.
    public static func reserve(limit: Int, threads: Int, redisConnections: Int, hookConnections: Int = 0) -> Int {
        processFiles + perThread * threads + perRedisConnection * redisConnections + publishConnections + clientsAndFiles
            + perHookConnection * hookConnections
            + max(refusalsInFlight, Int(Double(limit) * refusalShare))
    }

    /// Raises the soft `RLIMIT_NOFILE` to the hard limit (as nginx's `worker_rlimit_nofile` or Go's runtime
    /// do) and returns the budget, with the reason when the limit could not be raised.
    public static func raise(threads: Int, redisConnections: Int, hookConnections: Int = 0) -> (budget: DescriptorBudget, failure: String?) {
        var limits = rlimit()
        guard getrlimit(resourceNoFile, &limits) == 0 else {
            let failure = "getrlimit failed (errno \(errno))"
            return (DescriptorBudget(softLimitAtStart: 1024, limit: 1024, hardLimit: nil, threads: threads, redisConnections: redisConnections, hookConnections: hookConnections), failure)
        }
        let soft = Self.count(limits.rlim_cur)
        let hard = limits.rlim_max == Self.unlimited ? nil : Self.count(limits.rlim_max)
        var failure: String?
        var inForce = soft ?? Int.max
        if limits.rlim_cur != limits.rlim_max {
            var raised = limits
            raised.rlim_cur = limits.rlim_max
            // why: Linux refuses an unlimited soft limit above fs.nr_open; the usual fallback is a million.
            if limits.rlim_max == Self.unlimited { raised.rlim_cur = 1 << 20 }
            if setrlimit(resourceNoFile, &raised) == 0 {
                inForce = Int(raised.rlim_cur)
            } else {
                failure = "setrlimit to \(raised.rlim_cur) failed (errno \(errno))"
            }
        }
        let budget = DescriptorBudget(
            softLimitAtStart: soft ?? Int.max, limit: inForce, hardLimit: hard, threads: threads, redisConnections: redisConnections,
            hookConnections: hookConnections
        )
        return (budget, failure)
    }

    private static func count(_ value: rlim_t) -> Int? {
        value == Self.unlimited ? nil : Int(clamping: value)
    }

    /// `RLIM_INFINITY` (all bits set), which Swift cannot import as a macro.
    private static let unlimited = rlim_t.max

    #if canImport(Glibc)
    private static let resourceNoFile = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let resourceNoFile = RLIMIT_NOFILE
    #endif
}
