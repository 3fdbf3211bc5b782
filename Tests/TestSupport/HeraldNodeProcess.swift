import Foundation
import HeraldClient
import Synchronization

/// One `herald serve` process (the binary `swift build --build-tests` produced) on a fixed loopback port,
/// which it keeps across restarts, as a node behind a load balancer does.
///
/// With a `descriptorLimit` it runs under `prlimit --nofile=SOFT:HARD` (lowering a limit needs no privilege),
/// as a node on a machine with that open-file limit.
///
/// ``start()`` returns once `/readyz` answers 200. ``kill9()``, ``terminate()`` and ``stop()`` end it by its
/// pid. Each run logs to its own file in ``logDirectory`` (`<name>.<run>.log`); ``logTail(lines:)`` shows
/// the end of every run, for failure messages. `deinit` kills a forgotten process.
package final class HeraldNodeProcess: Sendable {
    package struct Failure: Error, CustomStringConvertible {
        package var description: String
    }

    /// The repository root (this file is Tests/TestSupport/HeraldNodeProcess.swift).
    package static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// The debug build of the executable.
    package static let binary = repository.appendingPathComponent(".build/debug/herald").path

    package static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    /// util-linux `prlimit`, which starts a command with other resource limits.
    package static var prlimit: String? {
        ["/usr/bin/prlimit", "/bin/prlimit"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    package let name: String
    package let port: Int
    /// `http://127.0.0.1:<port>`, for clients that take a base URL.
    package var url: String { "http://127.0.0.1:\(port)" }
    package let logDirectory: String
    private let arguments: [String]
    private let descriptorLimit: (soft: Int, hard: Int)?
    private let readiness: (@Sendable (_ port: Int) async -> Int?)?
    private let state = Mutex(RunState())

    private struct RunState {
        var pid: pid_t?
        var runs = 0
    }

    /// A node named `name` on `port`; `arguments` follow `herald serve --host 127.0.0.1 --port <port>`.
    /// With `descriptorLimit`, the process starts with that soft and hard `RLIMIT_NOFILE`. Not started yet.
    /// - Parameter readiness: how `start` asks whether the node is ready: the status of its `/readyz`, nil
    ///   without an answer. The default asks over plain HTTP; a node behind TLS or the PROXY protocol needs its own.
    package init(
        name: String, port: Int, arguments: [String], logDirectory: String, descriptorLimit: (soft: Int, hard: Int)? = nil,
        readiness: (@Sendable (_ port: Int) async -> Int?)? = nil
    ) {
        self.readiness = readiness
        self.name = name
        self.port = port
        self.arguments = ["herald", "serve", "--host", "127.0.0.1", "--port", "\(port)"] + arguments
        self.logDirectory = logDirectory
        self.descriptorLimit = descriptorLimit
    }

    deinit {
        state.withLock { state in
            if let pid = state.pid {
                kill(pid, SIGKILL)
                _ = ChildProcess.waitForExit(pid, timeout: 5)
            }
        }
    }

    /// Starts the process and waits (bounded) until `/readyz` answers 200.
    package func start(readyWithin timeout: Duration = .seconds(15)) async throws {
        let log = state.withLock { state in
            state.runs += 1
            return "\(logDirectory)/\(name).\(state.runs).log"
        }
        let pid: pid_t
        if let descriptorLimit {
            guard let prlimit = Self.prlimit else { throw Failure(description: "prlimit is not installed (apt-get install util-linux)") }
            // why: prlimit sets the limit on itself and execs the command, so the pid is the node's.
            let limited = ["prlimit", "--nofile=\(descriptorLimit.soft):\(descriptorLimit.hard)", Self.binary] + arguments.dropFirst()
            pid = try await ChildProcess.spawnInTurn(prlimit, limited, logPath: log)
        } else {
            pid = try await ChildProcess.spawnInTurn(Self.binary, arguments, logPath: log)
        }
        state.withLock { $0.pid = pid }
        let deadline = ContinuousClock.now + timeout
        while await readinessStatus() != 200 {
            guard ChildProcess.state(pid) == .running else {
                throw Failure(description: "\(name) exited at start: \(logTail(lines: 5))")
            }
            guard ContinuousClock.now < deadline else {
                throw Failure(description: "\(name) was not ready within \(timeout): \(logTail(lines: 5))")
            }
            try await Task.sleep(for: .milliseconds(25))
        }
    }

    /// The status of `/readyz`, asked the node's way.
    private func readinessStatus() async -> Int? {
        if let readiness { return await readiness(port) }
        return await status("/readyz")
    }

    /// The pid of the running process, if any.
    package var pid: pid_t? { state.withLock { $0.pid } }

    /// SIGKILL, as `kill -9`: no drain, connections reset. Returns once the process is reaped.
    package func kill9() {
        guard let pid = takePID() else { return }
        kill(pid, SIGKILL)
        _ = ChildProcess.waitForExit(pid, timeout: 5)
    }

    /// Sends SIGTERM and returns at once; the node drains. Follow with ``waitForExit(timeout:)``.
    package func terminate() {
        if let pid { kill(pid, SIGTERM) }
    }

    /// Waits (bounded) until the process has exited and returns how, or nil if it still runs.
    package func waitForExit(timeout: TimeInterval) -> ChildProcess.State? {
        guard let pid else { return .gone }
        let result = ChildProcess.waitForExit(pid, timeout: timeout)
        if result != nil { _ = takePID() }
        return result
    }

    /// ``waitForExit(timeout:)`` for async callers, holding no thread while the node drains.
    package func waitForExit(timeout: TimeInterval) async -> ChildProcess.State? {
        guard let pid else { return .gone }
        let result = await ChildProcess.waitForExit(pid, timeout: timeout)
        if result != nil { _ = takePID() }
        return result
    }

    /// Stops it for good: SIGTERM, then SIGKILL after 5 s; returns at once while the node drains
    /// (``ChildProcess/terminate(_:waiting:)``). To start it again on its port, use ``terminate()`` and
    /// ``waitForExit(timeout:)``.
    package func stop() {
        if let pid = takePID() { ChildProcess.terminate(pid, waiting: 0) }
    }

    /// The number of open SSE streams reported by `/healthz` (`"streams":N`), or nil when it does not say.
    package func openStreams() async -> Int? {
        guard let response = try? await HeraldHTTPClient.request(port: port, path: "/healthz", timeout: .seconds(2)) else {
            return nil
        }
        return response.bodyText.firstMatch(of: /"streams"\s*:\s*(\d+)/).flatMap { Int($0.output.1) }
    }

    /// The status of `GET path`, or nil when there is no answer.
    package func status(_ path: String) async -> Int? {
        // why: a loopback health request answers in milliseconds; 2 s keeps a hung node from stalling the poll.
        try? await HeraldHTTPClient.request(port: port, path: path, timeout: .seconds(2)).status
    }

    /// The whole log of the current (last) run.
    package func log() -> String {
        let run = state.withLock { $0.runs }
        return (try? String(contentsOfFile: "\(logDirectory)/\(name).\(run).log", encoding: .utf8)) ?? ""
    }

    /// The last `lines` lines of each run's log.
    package func logTail(lines: Int = 15) -> String {
        let runs = state.withLock { $0.runs }
        return (0..<runs).map { run in
            let path = "\(logDirectory)/\(name).\(run + 1).log"
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            return "--- \(path)\n" + text.split(separator: "\n").suffix(lines).joined(separator: "\n")
        }.joined(separator: "\n")
    }

    private func takePID() -> pid_t? {
        state.withLock { state in
            defer { state.pid = nil }
            return state.pid
        }
    }
}
