import Foundation
import Synchronization

/// A real HAProxy or nginx on a free loopback port, running the shipped configuration templated by
/// ``LoadBalancerConfig`` in front of up to three nodes on loopback.
///
/// Everything it writes (config, pid file, logs, temp files) lives in its own temporary directory.
/// ``start(_:upstreamPorts:extraLocations:)`` returns once the port accepts TCP connections; ``stop()`` ends
/// it by its pid (SIGTERM, then SIGKILL); `deinit` kills a forgotten one.
package final class LoadBalancerProcess: Sendable {
    package struct Failure: Error, CustomStringConvertible {
        package var description: String
    }

    package let kind: LoadBalancerConfig.Kind
    /// The loopback port clients connect to.
    package let port: Int
    /// The temporary directory holding the config, logs and anything else the balancer writes.
    package let directory: String
    package let configPath: String
    package let logPath: String
    private let process: Mutex<pid_t?>

    /// The path of `haproxy` or `nginx`, or nil when it is not installed.
    package static func executable(_ kind: LoadBalancerConfig.Kind) -> String? {
        ["/usr/sbin/", "/usr/bin/", "/usr/local/sbin/", "/usr/local/bin/"]
            .map { $0 + kind.rawValue }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// A fresh temporary directory, readable by nginx workers (which drop root to `nobody`).
    package static func makeDirectory(_ kind: LoadBalancerConfig.Kind) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("herald-\(kind)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        return path
    }

    /// The command line that checks a config without running it: `nginx -t` or `haproxy -c`.
    package static func checkArguments(_ kind: LoadBalancerConfig.Kind, configPath: String, directory: String) -> [String] {
        switch kind {
        case .haproxy: ["haproxy", "-c", "-f", configPath]
        case .nginx: ["nginx", "-t"] + nginxPlacement(configPath: configPath, directory: directory)
        }
    }

    /// Runs the check (bounded) and returns whether it passed, with its output.
    package static func check(_ kind: LoadBalancerConfig.Kind, configPath: String, directory: String) throws -> (passed: Bool, output: String) {
        guard let executable = executable(kind) else { throw Failure(description: "\(kind) is not installed") }
        let log = directory + "/check.log"
        let pid = try ChildProcess.spawn(executable, checkArguments(kind, configPath: configPath, directory: directory), logPath: log)
        // why: a config check takes milliseconds; 10 s only bounds a broken binary.
        let state = ChildProcess.waitForExit(pid, timeout: 10)
        if state == nil { ChildProcess.terminate(pid) }
        return (state == .exited(0), (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }

    /// Templates `kind`'s shipped config for `upstreamPorts`, starts it on a free port and waits until it accepts.
    /// `file` picks a variant of the shipped config (`deploy/haproxy-tcp.cfg`) instead of `kind`'s own;
    /// `prepare` writes what it needs into the balancer's directory first (the TLS variants' certificates).
    /// why `extraLocations` first: a trailing closure goes to the first closure parameter, and callers pass
    /// their locations as one.
    package static func start(
        _ kind: LoadBalancerConfig.Kind, file: String? = nil, upstreamPorts: [Int],
        extraLocations: (_ directory: String) -> String = { _ in "" }, prepare: (_ directory: String) throws -> Void = { _ in }
    ) async throws -> LoadBalancerProcess {
        guard let executable = executable(kind) else {
            throw Failure(description: "\(kind) is not installed (apt-get install \(kind))")
        }
        let directory = try makeDirectory(kind)
        try prepare(directory)
        let extra = extraLocations(directory)
        // why: a child spawned while another test's port probe is open inherits that socket (see RedisServerProcess).
        return try await StartGate.shared.serialized {
            let port = try await LoopbackPort.freeUngated()
            let config = try LoadBalancerConfig(
                kind, file: file, listenPort: port, upstreamPorts: upstreamPorts, directory: directory,
                extraLocations: extra
            )
            let configPath = try config.write(to: directory)
            let logPath = directory + "/\(kind).log"
            let arguments: [String] = switch kind {
            case .haproxy: ["haproxy", "-f", configPath, "-db"]
            case .nginx: ["nginx"] + nginxPlacement(configPath: configPath, directory: directory) + ["-g", "daemon off; pid \(directory)/nginx.pid;"]
            }
            let pid = try ChildProcess.spawn(executable, arguments, logPath: logPath)
            let process = LoadBalancerProcess(kind: kind, port: port, directory: directory, configPath: configPath, logPath: logPath, pid: pid)
            do {
                // why: both start in well under a second; 10 s covers a loaded CI box.
                try await LoopbackPort.waitUntilAccepting(port, what: "\(kind)", timeout: .seconds(10)) {
                    ChildProcess.state(pid) == .running
                }
            } catch {
                process.stop()
                throw Failure(description: "\(error); log: \(process.logTail())")
            }
            return process
        }
    }

    private init(kind: LoadBalancerConfig.Kind, port: Int, directory: String, configPath: String, logPath: String, pid: pid_t) {
        self.kind = kind
        self.port = port
        self.directory = directory
        self.configPath = configPath
        self.logPath = logPath
        self.process = Mutex(pid)
    }

    deinit {
        process.withLock { pid in
            if let pid {
                kill(pid, SIGKILL)
                _ = ChildProcess.waitForExit(pid, timeout: 5)
            }
        }
    }

    /// Stops the balancer by its pid: SIGTERM (both stop their workers with it), then SIGKILL after 5 s.
    package func stop() {
        let pid = process.withLock { pid in
            defer { pid = nil }
            return pid
        }
        if let pid { ChildProcess.terminate(pid) }
    }

    /// Deletes the temporary directory (config, logs); call after ``stop()`` when nothing needs explaining.
    package func removeFiles() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The last `lines` interesting lines of the balancer's own output (and, for nginx, its error log):
    /// HAProxy's request log lines for a 200 are left out, the others (retries, 5xx, aborted streams,
    /// servers going down and up) are what explains a failure.
    package func logTail(lines: Int = 30) -> String {
        var paths = [logPath]
        if kind == .nginx { paths.append(directory + "/error.log") }
        return paths.map { path in
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            let interesting = text.split(separator: "\n").filter { !$0.contains(" 200 ") }
            return "--- \(path)\n" + interesting.suffix(lines).joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// nginx reads its prefix, config and error log from the command line, so none of them is a system path.
    private static func nginxPlacement(configPath: String, directory: String) -> [String] {
        ["-p", directory, "-c", configPath, "-e", directory + "/error.log"]
    }
}
