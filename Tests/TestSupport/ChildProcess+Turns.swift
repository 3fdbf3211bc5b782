import Foundation

extension ChildProcess {
    /// ``spawn(_:_:logPath:environment:)`` for a long-lived child (a server, a browser), taking turns with
    /// port probes and other such spawns.
    ///
    /// A child inherits every socket open in the test process when it starts. A port probe of a parallel
    /// test (``LoopbackPort/free()``) binds a port for a moment; a long-lived child started in that moment
    /// keeps the port bound until it exits, and the server meant for that port fails with EADDRINUSE.
    package static func spawnInTurn(
        _ path: String, _ arguments: [String], logPath: String, environment: [String: String]? = nil
    ) async throws -> pid_t {
        try await StartGate.shared.serialized {
            try spawn(path, arguments, logPath: logPath, environment: environment)
        }
    }
}
