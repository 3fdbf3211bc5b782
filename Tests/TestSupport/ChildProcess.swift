import Foundation

/// Starting and stopping real processes from async tests (redis-server, the `herald` binary).
///
/// `posix_spawn` rather than Foundation's `Process`: a test runs on a pool thread whose signal mask blocks
/// SIGTERM, `Process` passes that mask on (the child then ignores SIGTERM), and `Process.isRunning` is only
/// updated by a run loop nobody spins in async code. Here the child gets an empty mask and default
/// handlers, and is reaped with `waitpid`.
package enum ChildProcess {
    package enum State: Equatable, Sendable {
        case running
        case exited(Int32)
        case signalled(Int32)
        /// Reaped by someone else; the exit status is unknown.
        case gone
    }

    package struct SpawnError: Error, CustomStringConvertible {
        package var description: String
    }

    /// Starts `path` with `arguments` (`arguments[0]` is the program name), stdout and stderr into `logPath`,
    /// stdin from /dev/null; `environment` replaces the test process' environment when given.
    package static func spawn(_ path: String, _ arguments: [String], logPath: String, environment: [String: String]? = nil) throws -> pid_t {
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
        // why: without it the child inherits every socket the test process has open (servers of parallel tests,
        // their accepted connections): a connection that such a server closes stays open until the child exits.
        if let closeFrom = Self.addCloseFrom { _ = closeFrom(&fileActions, 3) }

        let variables = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = variables.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid = pid_t()
        let status = posix_spawn(&pid, path, &fileActions, &attributes, argv, envp)
        guard status == 0 else {
            throw SpawnError(description: "cannot start \(path): posix_spawn error \(status)")
        }
        return pid
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and newer), which Swift does not import.
    private static let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    /// The state of our child `pid`; reaps it if it has exited.
    package static func state(_ pid: pid_t) -> State {
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == 0 {
                return .running
            }
            if result == pid {
                // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import as macros.
                let signal = status & 0x7F
                return signal == 0 ? .exited((status >> 8) & 0xFF) : .signalled(signal)
            }
            switch errno {
            case EINTR:
                continue
            case ECHILD:
                // Someone else in the process reaped it (a SIGCHLD handler): ask the kernel.
                return kill(pid, 0) == 0 ? .running : .gone
            default:
                return .gone
            }
        }
    }

    /// Polls (bounded) until `pid` has exited and returns how it ended, or nil if it still runs.
    package static func waitForExit(_ pid: pid_t, timeout: TimeInterval) -> State? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let current = state(pid)
            if current != .running { return current }
            guard Date() < deadline else { return nil }
            usleep(2_000)
        }
    }

    /// ``waitForExit(_:timeout:)`` for async callers: polls with `Task.sleep`, so that no thread of Swift's
    /// cooperative pool is held while the child drains (an async caller picks this overload by itself).
    package static func waitForExit(_ pid: pid_t, timeout: TimeInterval) async -> State? {
        let deadline = ContinuousClock.now + .milliseconds(Int64(timeout * 1000))
        while true {
            let current = state(pid)
            if current != .running { return current }
            guard ContinuousClock.now < deadline else { return nil }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// SIGTERM, then SIGKILL if `pid` has not exited within 5 s. Returns once it is reaped if it exits within
    /// `waiting` seconds (redis-server, a browser and scripts exit within milliseconds, so a caller may start
    /// another on the same port), else then, leaving the wait, the SIGKILL and the reaping to a thread of its own.
    ///
    /// why: callers are mostly `defer` blocks of async tests, which cannot await; a node draining for its 5 s
    /// grace held a thread of the cooperative pool (two threads on this 2-core box) for all of it, and every
    /// other test's sleeps and timers waited behind it (seen: a 3.6 s sleep that woke after 7.7 s).
    package static func terminate(_ pid: pid_t, waiting: TimeInterval = 1) {
        kill(pid, SIGTERM)
        guard waitForExit(pid, timeout: waiting) == nil else { return }
        Thread.detachNewThread {
            // why: our children exit well within a second of SIGTERM; 5 s covers a loaded box.
            if waitForExit(pid, timeout: 5) == nil {
                kill(pid, SIGKILL)
                _ = waitForExit(pid, timeout: 5)
            }
        }
    }
}
