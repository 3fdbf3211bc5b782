import Foundation
import TestSupport

/// Runs `redis-cli` against the test's Redis, for the checks and faults a test makes from outside Herald.
enum RedisCLI {
    static var executable: String? {
        ["/usr/bin/redis-cli", "/usr/local/bin/redis-cli"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// `redis-cli -h 127.0.0.1 -p <port> <arguments>`; returns its output, throws unless it exits 0.
    static func run(port: Int, _ arguments: [String]) throws -> String {
        guard let executable else { throw FailoverFailure("redis-cli is not installed (apt-get install redis-tools)") }
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("redis-cli-\(UUID().uuidString).out").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        let pid = try ChildProcess.spawn(executable, ["redis-cli", "-h", "127.0.0.1", "-p", "\(port)"] + arguments, logPath: log)
        // why: one command against a local Redis takes milliseconds; 10 s only bounds a hung server.
        let state = ChildProcess.waitForExit(pid, timeout: 10)
        if state == nil { ChildProcess.terminate(pid) }
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        guard state == .exited(0) else { throw FailoverFailure("redis-cli \(arguments) failed (\(String(describing: state))): \(output)") }
        return output
    }
}
