#if canImport(Glibc)
import Glibc
#endif

/// CPU use over one window of time: the server, redis, this benchmark process and the whole host.
///
/// Percentages are of one core (100 % = one core busy for the whole window), as in the nchan
/// baseline; `hostBusy` and `hostInterrupts` are of one core too, so on 2 cores they reach 200 %.
/// `hostInterrupts` (irq + softirq) is mostly loopback TCP work that the kernel charges to no process.
struct CPUWindow: Sendable {
    /// The figures of a closed window; `nil` where a process could not be read.
    struct Usage: Codable, Sendable {
        var seconds: Double
        var serverPercent: Double?
        var redisPercent: Double?
        var benchPercent: Double?
        var hostBusyPercent: Double?
        var hostInterruptsPercent: Double?
        /// Host busy − interrupts − server − redis − bench: other tenants (and the kernel's other work).
        var otherPercent: Double?
    }

    private let serverPID: Int32?
    private let redisPID: Int32?
    private let started: ContinuousClock.Instant
    private let server: Double?
    private let redis: Double?
    private let bench: Double?
    private let host: ProcessSampler.HostTicks?

    /// Opens a window now.
    init(serverPID: Int32?, redisPID: Int32?) {
        self.serverPID = serverPID
        self.redisPID = redisPID
        started = .now
        server = serverPID.flatMap(ProcessSampler.cpuSeconds(pid:))
        redis = redisPID.flatMap(ProcessSampler.cpuSeconds(pid:))
        bench = ProcessSampler.cpuSeconds(pid: getpid())
        host = ProcessSampler.hostTicks()
    }

    /// Closes the window now and returns what was used in it.
    func close() -> Usage {
        let seconds = (ContinuousClock.now - started).seconds
        func percent(_ before: Double?, _ after: Double?) -> Double? {
            guard let before, let after, seconds > 0 else { return nil }
            return (after - before) / seconds * 100
        }
        var usage = Usage(seconds: seconds)
        usage.serverPercent = percent(server, serverPID.flatMap(ProcessSampler.cpuSeconds(pid:)))
        usage.redisPercent = percent(redis, redisPID.flatMap(ProcessSampler.cpuSeconds(pid:)))
        usage.benchPercent = percent(bench, ProcessSampler.cpuSeconds(pid: getpid()))
        if let host, let now = ProcessSampler.hostTicks(), now.total > host.total {
            let cores = Double(ProcessSampler.cpuCount) * 100
            usage.hostBusyPercent = (now.busy - host.busy) / (now.total - host.total) * cores
            usage.hostInterruptsPercent = (now.interrupts - host.interrupts) / (now.total - host.total) * cores
        }
        if let busy = usage.hostBusyPercent, let interrupts = usage.hostInterruptsPercent {
            usage.otherPercent = busy - interrupts - (usage.serverPercent ?? 0) - (usage.redisPercent ?? 0) - (usage.benchPercent ?? 0)
        }
        return usage
    }
}
