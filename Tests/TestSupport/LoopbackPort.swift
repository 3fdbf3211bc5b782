import Foundation
import Synchronization
import NIOCore
import NIOPosix

/// Loopback ports for child processes that must listen on a port chosen in advance (a node restarted on the
/// same port, a load balancer whose configuration names its upstreams).
package enum LoopbackPort {
    package struct Failure: Error, CustomStringConvertible {
        package var description: String
    }

    /// A loopback port that is free now, chosen in 20000-32767.
    ///
    /// Binding port 0 would hand out an ephemeral port, and the kernel reuses those as the source port of
    /// outgoing connections: with tests running in parallel, one of their client sockets regularly took the
    /// port before redis bound it (seen: several "exited at start" per run). Ports in 20000-32767 are never
    /// picked as source ports under Linux' default range (32768-60999), so only a real listener can hold
    /// them, and binding checks that none does.
    package static func free() async throws -> Int {
        // why: the probe binds the port for a moment; a child spawned by a parallel test in that moment
        // inherits the socket and keeps the port bound for its whole life. Spawns and probes take turns.
        try await StartGate.shared.serialized { try await freeUngated() }
    }

    /// ``free()`` for callers already inside `StartGate.shared` (which is not reentrant).
    static func freeUngated() async throws -> Int {
        for _ in 0..<50 {
            let candidate = Int.random(in: 20_000...32_767)
            // why: a port handed out earlier may not be bound yet (its child still starting), so the bind
            // below would pass and two tests would share it (seen: "Address already in use" in a CI run).
            guard handedOut.withLock({ $0.insert(candidate).inserted }) else { continue }
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
        throw Failure(description: "cannot find a free loopback port in 20000-32767")
    }

    /// Every port ``free()`` returned in this process: none is returned twice.
    private static let handedOut = Mutex<Set<Int>>([])

    /// `count` distinct free ports.
    package static func free(count: Int) async throws -> [Int] {
        var ports: [Int] = []
        while ports.count < count {
            let port = try await free()
            if !ports.contains(port) { ports.append(port) }
        }
        return ports
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port` now.
    package static func accepts(_ port: Int) async -> Bool {
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                // why: a loopback connect either succeeds or is refused at once; 500 ms only bounds a stuck box.
                .connectTimeout(.milliseconds(500))
                .connect(host: "127.0.0.1", port: port)
                .get()
            try? await channel.close()
            return true
        } catch {
            return false
        }
    }

    /// Polls (bounded) until `port` accepts connections; throws with `what` in the message otherwise.
    package static func waitUntilAccepting(_ port: Int, what: String, timeout: Duration, isAlive: () -> Bool = { true }) async throws {
        let deadline = ContinuousClock.now + timeout
        while !(await accepts(port)) {
            guard isAlive() else { throw Failure(description: "\(what) exited before listening on port \(port)") }
            guard ContinuousClock.now < deadline else {
                throw Failure(description: "\(what) did not listen on port \(port) within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
