import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A real `redis-server` on a free loopback port, for integration tests.
///
/// Started without persistence (`--save "" --appendonly no`), bound to 127.0.0.1.
/// ``start()`` returns once the server answers `PING`. Whoever starts one stops it
/// (`defer { server.stop() }`); `deinit` kills a forgotten process as a last resort.
///
/// The child is spawned with `posix_spawn` rather than Foundation's `Process`: a test
/// runs on a pool thread whose signal mask blocks SIGTERM, `Process` passes that mask
/// on (redis then ignores SIGTERM), and `Process.isRunning` is only updated by a run
/// loop nobody spins in async code. Here the child gets an empty mask and default
/// handlers, and is reaped with `waitpid`.
public final class RedisServerProcess: Sendable {
    public struct StartError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The TCP port the server listens on; it stays the same across ``restart()``.
    public let port: Int
    private let executable: URL
    private let process: Mutex<pid_t?>

    /// `redis://127.0.0.1:<port>`.
    public var url: String {
        "redis://127.0.0.1:\(self.port)"
    }

    /// Integration suites must run, never skip, under `CI=true`.
    public static var isRequired: Bool {
        ProcessInfo.processInfo.environment["CI"] == "true"
    }

    /// Whether `redis-server` is on `PATH`.
    public static var isAvailable: Bool {
        Self.findExecutable() != nil
    }

    private init(port: Int, executable: URL, process: pid_t) {
        self.port = port
        self.executable = executable
        self.process = Mutex(process)
    }

    deinit {
        self.process.withLock { pid in
            if let pid {
                kill(pid, SIGKILL)
                _ = Self.waitForExit(pid, timeout: 5)
            }
        }
    }

    /// Starts a server on a free port; throws a clear error if `redis-server` is
    /// missing or never answers `PING` within 5 s.
    public static func start() async throws -> RedisServerProcess {
        // why: a child started while another test's port probe is open inherits that socket and keeps the port
        // bound, so a parallel start then fails with EADDRINUSE; starting one server at a time avoids it.
        try await StartGate.shared.serialized { try await startUnserialized() }
    }

    private static func startUnserialized() async throws -> RedisServerProcess {
        guard let executable = Self.findExecutable() else {
            throw StartError(description: "redis-server is not on PATH; install it (apt-get install redis-server)")
        }
        var failures: [String] = []
        // why: a free port can still be taken by another process before redis binds it;
        // a few attempts on fresh ports make that race harmless.
        for _ in 0..<5 {
            let port = try await Self.freePort()
            do {
                let process = try await Self.launch(executable: executable, port: port)
                return RedisServerProcess(port: port, executable: executable, process: process)
            } catch {
                failures.append("\(error)")
            }
        }
        throw StartError(description: "redis-server did not start in 5 attempts: " + failures.joined(separator: "; "))
    }

    /// Stops the server: SIGTERM, then SIGKILL if it has not exited within 5 s.
    public func stop() {
        let pid = self.process.withLock { pid in
            defer { pid = nil }
            return pid
        }
        guard let pid else {
            return
        }
        Self.terminate(pid)
    }

    /// Stops the server and starts it again on the same port (its data is lost).
    public func restart() async throws {
        self.stop()
        let process = try await Self.launch(executable: self.executable, port: self.port)
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

    /// A loopback port that is free now, chosen below the kernel's ephemeral range.
    ///
    /// Binding port 0 would hand out an ephemeral port, and the kernel reuses those as
    /// the source port of outgoing connections: with tests running in parallel, one of
    /// their client sockets regularly took the port before redis bound it (seen here:
    /// several "exited at start" per run). Ports in 20000-32767 are never picked as
    /// source ports under Linux' default range (32768-60999), so only a real listener
    /// can hold them, and binding checks that none does.
    private static func freePort() async throws -> Int {
        for _ in 0..<50 {
            let candidate = Int.random(in: 20_000...32_767)
            do {
                let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .bind(host: "127.0.0.1", port: candidate)
                    .get()
                try await channel.close()
                return candidate
            } catch {
                continue
            }
        }
        throw StartError(description: "cannot find a free loopback port in 20000-32767")
    }

    private static func launch(executable: URL, port: Int) async throws -> pid_t {
        let arguments = [
            executable.path, "--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--protected-mode", "no",
        ]
        let logPath = FileManager.default.temporaryDirectory.appendingPathComponent("redis-test-\(port).log").path
        defer { try? FileManager.default.removeItem(atPath: logPath) }
        let pid = try Self.spawn(executable.path, arguments, logPath: logPath)
        // why: redis starts in a few ms; 5 s is far above that even on a loaded CI box.
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            guard Self.isAlive(pid) else {
                let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
                let reason = log.split(separator: "\n").suffix(3).joined(separator: " | ")
                throw StartError(description: "redis-server on port \(port) exited at start: \(reason)")
            }
            if await Self.answersPing(port: port) {
                return pid
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        Self.terminate(pid)
        throw StartError(description: "redis-server on port \(port) did not answer PING within 5 s")
    }

    private static func spawn(_ path: String, _ arguments: [String], logPath: String) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGPIPE, SIGHUP] {
            sigaddset(&defaults, signal)
        }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var fileActions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fileActions)
        defer { posix_spawn_file_actions_destroy(&fileActions) }
        posix_spawn_file_actions_addopen(&fileActions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&fileActions, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&fileActions, 1, 2)

        let environment = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid = pid_t()
        let status = posix_spawn(&pid, path, &fileActions, &attributes, argv, envp)
        guard status == 0 else {
            throw StartError(description: "cannot start \(path): posix_spawn error \(status)")
        }
        return pid
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

    private static func terminate(_ pid: pid_t) {
        kill(pid, SIGTERM)
        // why: redis exits within ~100 ms of SIGTERM without persistence; 5 s covers a loaded box.
        if !Self.waitForExit(pid, timeout: 5) {
            kill(pid, SIGKILL)
            _ = Self.waitForExit(pid, timeout: 5)
        }
    }

    /// Polls until `pid` has exited and is reaped.
    private static func waitForExit(_ pid: pid_t, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Self.isAlive(pid) {
            guard Date() < deadline else {
                return false
            }
            usleep(2_000)
        }
        return true
    }

    /// Whether our child `pid` still runs; reaps it if it has exited.
    private static func isAlive(_ pid: pid_t) -> Bool {
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == 0 {
                return true
            }
            if result == pid {
                return false
            }
            switch errno {
            case EINTR:
                continue
            case ECHILD:
                // Someone else in the process reaped it (a SIGCHLD handler): ask the kernel.
                return kill(pid, 0) == 0
            default:
                return false
            }
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
