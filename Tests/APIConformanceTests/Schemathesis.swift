import Foundation
import TestSupport

/// The `schemathesis` command line (PyPI), run as a child process against a live node.
///
/// `scripts/install-deps.sh` installs a pinned version into `.build/venv-schemathesis`; that one is preferred,
/// then one on `PATH`. A run is bounded: it is killed when it outlives its time limit.
struct Schemathesis {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    struct Run {
        /// How the process ended; nil when it was killed for running over its time limit.
        var state: ChildProcess.State?
        var output: String
    }

    static let repository = HeraldNodeProcess.repository
    static let document = repository.appendingPathComponent("docs/openapi.yaml").path
    /// Settings that cannot be given on the command line (per-operation request timeouts).
    static let configuration = repository.appendingPathComponent("Tests/APIConformanceTests/schemathesis.toml").path

    /// The executable, or nil when it is not installed.
    static let executable: String? = {
        let venv = repository.appendingPathComponent(".build/venv-schemathesis/bin/schemathesis").path
        if FileManager.default.isExecutableFile(atPath: venv) { return venv }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        return path.split(separator: ":")
            .map { "\($0)/schemathesis" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// Conformance suites must run, never skip, under `CI=true`.
    static var isRequired: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// `schemathesis --config-file <configuration> run docs/openapi.yaml --url <baseURL> <arguments>` in
    /// `directory`, waited for at most `timeLimit`; the output (stdout and stderr) goes to `directory/schemathesis.log`.
    static func run(baseURL: String, arguments: [String], directory: String, timeLimit: Duration) async throws -> Run {
        guard let executable else {
            throw Failure(description: "schemathesis is not installed; run scripts/install-deps.sh (it installs it into .build/venv-schemathesis)")
        }
        var environment = ProcessInfo.processInfo.environment
        // why: a terminal width keeps schemathesis from wrapping its report at 80 columns in a captured log.
        environment["COLUMNS"] = "160"
        // why: a serializer for application/x-ndjson (streaming publish bodies), which schemathesis lacks.
        environment["SCHEMATHESIS_HOOKS"] = repository.appendingPathComponent("Tests/APIConformanceTests/schemathesis_hooks.py").path
        let logPath = directory + "/schemathesis.log"
        // why: schemathesis keeps a crash cache in `.schemathesis/` of its working directory; `env -C` runs it in
        // the test's scratch directory, not in the repository.
        let command = [
            "env", "-C", directory, executable, "--config-file", configuration, "--no-color",
            "run", document, "--url", baseURL,
        ] + arguments
        let pid = try await ChildProcess.spawnInTurn("/usr/bin/env", command, logPath: logPath, environment: environment)
        defer { if ChildProcess.state(pid) == .running { ChildProcess.terminate(pid) } }
        let deadline = ContinuousClock.now + timeLimit
        var state = ChildProcess.state(pid)
        while state == .running, ContinuousClock.now < deadline {
            // why: polls the exit of a run that takes seconds; 100 ms is precise enough and costs nothing.
            try await Task.sleep(for: .milliseconds(100))
            state = ChildProcess.state(pid)
        }
        let output = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return Run(state: state == .running ? nil : state, output: output)
    }
}
