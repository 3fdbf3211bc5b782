import Foundation

extension ChildProcess {
    /// The end of a short-lived child: how it exited and everything it printed (stdout and stderr).
    package struct Outcome: Sendable {
        package var state: State
        package var output: String
    }

    /// Runs `path` to its end (bounded by `timeout`, then killed), with `environment` added to the test
    /// process' own, and returns how it ended and what it printed.
    package static func run(
        _ path: String, _ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(30)
    ) async throws -> Outcome {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("child-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        let merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pid = try spawn(path, arguments, logPath: log, environment: merged)
        let deadline = ContinuousClock.now + timeout
        var current = state(pid)
        while current == .running {
            guard ContinuousClock.now < deadline else {
                kill(pid, SIGKILL)
                current = await waitForExit(pid, timeout: 5) ?? .running
                break
            }
            try await Task.sleep(for: .milliseconds(20))
            current = state(pid)
        }
        return Outcome(state: current, output: (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }
}
