import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A real `redis-server` on a free loopback port, for integration tests.
///
/// Started without persistence (`--save "" --appendonly no`) unless given an `appendOnlyDirectory`, then with
/// an append-only file there, fsynced on every write (`--appendonly yes --appendfsync always`), so that a
/// ``restart()`` keeps every acknowledged write. Bound to 127.0.0.1.
/// ``start()`` returns once the server answers `PING`. Whoever starts one stops it
/// (`defer { server.stop() }`); `deinit` kills a forgotten process as a last resort.
///
/// The child is started with `ChildProcess` (posix_spawn, empty signal mask, reaped with waitpid).
package final class RedisServerProcess: Sendable {
    package struct StartError: Error, CustomStringConvertible {
        package var description: String
    }

    /// The TCP port the server listens on; it stays the same across ``restart()``.
    package let port: Int
    private let executable: URL
    private let appendOnlyDirectory: String?
    private let extraArguments: [String]
    private let process: Mutex<pid_t?>

    /// `redis://127.0.0.1:<port>`.
    package var url: String {
        "redis://127.0.0.1:\(self.port)"
    }

    /// Integration suites must run, never skip, under `CI=true`.
    package static var isRequired: Bool {
        ProcessInfo.processInfo.environment["CI"] == "true"
    }

    /// Whether `redis-server` is on `PATH`.
    package static var isAvailable: Bool {
        Self.findExecutable() != nil
    }

    private init(port: Int, executable: URL, appendOnlyDirectory: String?, extraArguments: [String], process: pid_t) {
        self.port = port
        self.executable = executable
        self.appendOnlyDirectory = appendOnlyDirectory
        self.extraArguments = extraArguments
        self.process = Mutex(process)
    }

    deinit {
        self.process.withLock { pid in
            if let pid {
                Foundation.kill(pid, SIGKILL)
                _ = ChildProcess.waitForExit(pid, timeout: 5)
            }
        }
    }

    /// Starts a server on a free port, with `extraArguments` (such as `--cluster-enabled yes`) after the
    /// defaults; throws a clear error if `redis-server` is missing or never answers `PING` within 5 s.
    package static func start(appendOnlyDirectory: String? = nil, extraArguments: [String] = []) async throws -> RedisServerProcess {
        // why: a child started while another test's port probe is open inherits that socket and keeps the port
        // bound, so a parallel start then fails with EADDRINUSE; starting one server at a time avoids it.
        try await StartGate.shared.serialized {
            try await startUnserialized(appendOnlyDirectory: appendOnlyDirectory, extraArguments: extraArguments)
        }
    }

    private static func startUnserialized(appendOnlyDirectory: String?, extraArguments: [String]) async throws -> RedisServerProcess {
        guard let executable = Self.findExecutable() else {
            throw StartError(description: "redis-server is not on PATH; install it (apt-get install redis-server)")
        }
        var failures: [String] = []
        // why: a free port can still be taken by another process before redis binds it;
        // a few attempts on fresh ports make that race harmless.
        for _ in 0..<5 {
            let port = try await LoopbackPort.freeUngated()
            do {
                let process = try await Self.launch(executable: executable, port: port, appendOnlyDirectory: appendOnlyDirectory, extraArguments: extraArguments)
                return RedisServerProcess(port: port, executable: executable, appendOnlyDirectory: appendOnlyDirectory, extraArguments: extraArguments, process: process)
            } catch {
                failures.append("\(error)")
            }
        }
        throw StartError(description: "redis-server did not start in 5 attempts: " + failures.joined(separator: "; "))
    }

    /// Stops the server: SIGTERM, then SIGKILL if it has not exited within 5 s.
    package func stop() {
        let pid = self.process.withLock { pid in
            defer { pid = nil }
            return pid
        }
        guard let pid else {
            return
        }
        ChildProcess.terminate(pid)
    }

    /// Kills the server at once (SIGKILL): a crash: nothing is flushed, no client is told.
    package func crash() {
        let pid = self.process.withLock { pid in
            defer { pid = nil }
            return pid
        }
        guard let pid else { return }
        Foundation.kill(pid, SIGKILL)
        _ = ChildProcess.waitForExit(pid, timeout: 5)
    }

    /// Freezes the server (SIGSTOP) until ``resume()``: it keeps its connections but reads, answers and
    /// replicates nothing, as a stalled machine would.
    package func suspend() {
        if let pid = self.process.withLock({ $0 }) { Foundation.kill(pid, SIGSTOP) }
    }

    /// Lets a suspended server run on (SIGCONT).
    package func resume() {
        if let pid = self.process.withLock({ $0 }) { Foundation.kill(pid, SIGCONT) }
    }

    /// Stops the server (if it runs) and starts it again on the same port; its data is lost unless it was
    /// started with an `appendOnlyDirectory`.
    package func restart() async throws {
        self.stop()
        let process = try await Self.launch(executable: self.executable, port: self.port, appendOnlyDirectory: self.appendOnlyDirectory, extraArguments: self.extraArguments)
        self.process.withLock { $0 = process }
    }

    // MARK: Private

    private static func findExecutable() -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("redis-server")
            if FileManager.default.isExecutableFile(atPath: candidate.path) {
                return candidate
            }
        }
        return nil
    }

    private static func launch(executable: URL, port: Int, appendOnlyDirectory: String?, extraArguments: [String]) async throws -> pid_t {
        let persistence = appendOnlyDirectory.map { ["--appendonly", "yes", "--appendfsync", "always", "--dir", $0] }
            ?? ["--appendonly", "no"]
        let arguments = [executable.path, "--port", "\(port)", "--bind", "127.0.0.1", "--save", ""] + persistence + [
            "--protected-mode", "no",
        ] + extraArguments
        let logPath = FileManager.default.temporaryDirectory.appendingPathComponent("redis-test-\(port).log").path
        defer { try? FileManager.default.removeItem(atPath: logPath) }
        let pid = try ChildProcess.spawn(executable.path, arguments, logPath: logPath)
        // why: redis starts in a few ms; 5 s is far above that even on a loaded CI box.
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            guard ChildProcess.state(pid) == .running else {
                let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
                let reason = log.split(separator: "\n").suffix(3).joined(separator: " | ")
                throw StartError(description: "redis-server on port \(port) exited at start: \(reason)")
            }
            if await Self.answersPing(port: port) {
                return pid
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        ChildProcess.terminate(pid)
        throw StartError(description: "redis-server on port \(port) did not answer PING within 5 s")
    }

    private static func answersPing(port: Int) async -> Bool {
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.milliseconds(500))
                .connect(host: "127.0.0.1", port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
            return try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(string: "*1\r\n$4\r\nPING\r\n"))
                var received = ""
                for try await chunk in inbound {
                    received += String(buffer: chunk)
                    if received.contains("\r\n") {
                        break
                    }
                }
                return received.hasPrefix("+PONG")
            }
        } catch {
            return false
        }
    }
}

/// Runs one operation at a time, in arrival order.
actor StartGate {
    static let shared = StartGate()
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func serialized<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        if busy {
            await withCheckedContinuation { waiters.append($0) }
        }
        busy = true
        defer {
            if waiters.isEmpty { busy = false } else { waiters.removeFirst().resume() }
        }
        return try await body()
    }
}
