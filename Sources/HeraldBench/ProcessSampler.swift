#if canImport(Glibc)
import Glibc
#endif

/// Reads CPU time and memory of processes and of the whole host from `/proc` (Linux only).
///
/// Guarantees: reading never throws; a process that is gone or unreadable reads as `nil`, so a report
/// shows a missing figure rather than a wrong one.
enum ProcessSampler {
    /// CPU time of one process, user + system, in seconds.
    static func cpuSeconds(pid: Int32) -> Double? {
        guard let stat = read("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return nil }
        // Fields after "pid (comm)": state is field 3, utime 14, stime 15 (proc(5)).
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Resident set size of one process in KiB (`VmRSS` in `/proc/PID/status`).
    static func residentKiB(pid: Int32) -> Int? {
        guard let status = read("/proc/\(pid)/status") else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
        }
        return nil
    }

    /// Whole-host CPU counters from the first line of `/proc/stat`, in clock ticks.
    struct HostTicks: Sendable {
        var busy: Double
        var interrupts: Double
        var total: Double
    }

    static func hostTicks() -> HostTicks? {
        guard let stat = read("/proc/stat"), let line = stat.split(separator: "\n").first, line.hasPrefix("cpu ") else { return nil }
        let values = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard values.count >= 8 else { return nil }
        // user nice system idle iowait irq softirq steal (guest time is already in user).
        let total = values[0..<8].reduce(0, +)
        let idle = values[3] + values[4]
        return HostTicks(busy: total - idle, interrupts: values[5] + values[6], total: total)
    }

    /// The 1-minute load average.
    static func loadAverage() -> Double? {
        read("/proc/loadavg")?.split(separator: " ").first.flatMap { Double($0) }
    }

    /// The number of CPUs the host counts in `/proc/stat` ticks (100 % per CPU).
    static var cpuCount: Int {
        Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }

    private static func read(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count <= 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
