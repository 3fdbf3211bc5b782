import Foundation
import TestSupport
import Testing

/// Runs schemathesis (property-based HTTP testing, PyPI) against a live `herald serve` with docs/openapi.yaml:
/// no request may get a 5xx that the document does not describe, and every response must match it (status,
/// content type, headers, body). The document is the contract; when this fails, fix Herald, or fix the
/// document only if it was wrong about what Herald should do.
///
/// `GET /events` answers a valid request with a stream that never ends. Schemathesis reads a
/// `text/event-stream` response until its request timeout has passed in total, then checks the events it
/// received (each against the `StreamEvent` schema) and does not count the cut as a failure.
/// `schemathesis.toml` sets that timeout to 1 s for `/events` only, so a valid subscription costs a
/// second and its response head, headers and first bytes are still checked; its error cases (400) are checked
/// like any other response.
@Suite(
    "The HTTP API conforms to docs/openapi.yaml",
    .timeLimit(.minutes(3)),
    .enabled(if: Schemathesis.executable != nil || Schemathesis.isRequired)
)
struct APIConformanceTests {
    /// Every check of schemathesis but one. `positive_data_acceptance` expects every schema-valid request to
    /// succeed, and JSON Schema cannot say all that Herald checks: a cursor is opaque (any string is
    /// schema-valid, few are cursors), topics are limited in UTF-8 bytes (JSON Schema counts characters), and
    /// the `Idempotency-Key` header excludes an `idempotencyKey` field in the body.
    static let checks = ["--checks", "all", "--exclude-checks", "positive_data_acceptance"]

    /// Bounds and reproducibility: a fixed seed, no example database (which would make runs depend on
    /// earlier ones and write `.hypothesis/` into the repository).
    // why: 25 examples per operation run in about 45 s, most of it spent in the 1 s /events streams.
    static let bounds = ["--max-examples", "25", "--seed", "20261121", "--generation-database", "none"]

    // why: the generated values hold no secrets, and a failure's curl line must show the exact headers sent
    // (schemathesis prints `[Filtered]` for `Idempotency-Key` otherwise).
    static let output = ["--output-sanitize", "false"]

    @Test("schemathesis finds no server error and no undocumented response on a node with the memory backend")
    func memoryBackend() async throws {
        try await Self.check(nodeArguments: [])
    }

    @Test(
        "schemathesis finds no server error and no undocumented response on a node with the Redis backend",
        .enabled(if: RedisServerProcess.isAvailable || RedisServerProcess.isRequired)
    )
    func redisBackend() async throws {
        let redis = try await RedisServerProcess.start()
        defer { redis.stop() }
        try await Self.check(nodeArguments: ["--redis-url", redis.url, "--key-prefix", "conformance-\(UUID().uuidString.prefix(8))"])
    }

    @Test("schemathesis finds no server error and no undocumented response on a node with publisher and subscriber auth")
    func authConfigured() async throws {
        // Schemathesis sends no valid credential: every publish gets 401, and a stream opens only while it
        // sends no token (every topic is public here) — a token that is sent is verified, and refused.
        try await Self.check(nodeArguments: [
            "--publisher-api-key", "conformance-publisher-key",
            "--subscriber-jwt-key", "conformance-subscriber-secret-of-32-bytes-or-more",
            "--public-topics", "*",
        ])
    }

    /// Starts a node with `nodeArguments`, runs schemathesis against it, and expects exit status 0.
    static func check(nodeArguments: [String]) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-conformance-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let node = HeraldNodeProcess(
            name: "herald", port: try await LoopbackPort.free(),
            // why: a short history keeps a resume's replay small. Schemathesis publishes thousands of large events
            // to its example topic (NDJSON bodies are arrays), and replaying a thousand of them before the response
            // head took a debug node under a parallel suite past the /events read timeout.
            arguments: nodeArguments + ["--drain-grace", "0", "--drain-window", "100ms", "--history-length", "50"],
            logDirectory: directory
        )
        try await node.start()
        defer { node.stop() }

        let run = try await Schemathesis.run(
            baseURL: "http://127.0.0.1:\(node.port)", arguments: checks + bounds + output,
            directory: directory, timeLimit: .seconds(150)
        )
        #expect(run.state != nil, "schemathesis ran for over 150 s and was stopped:\n\(run.output)")
        #expect(run.state == .exited(0), "schemathesis found responses that docs/openapi.yaml does not describe:\n\(run.output)\n\(node.logTail(lines: 20))")
        #expect(run.output.contains("passed"), "schemathesis tested nothing:\n\(run.output)")
    }
}
