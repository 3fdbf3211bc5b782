import Foundation

/// A Redis Sentinel setup on loopback for integration tests: a primary, its replicas, and three sentinels
/// (`redis-server <file> --sentinel`) that monitor it as `masterName` with a quorum of two and fail over after
/// one second of silence. ``start()`` returns once every sentinel names the primary and the replica is in sync.
/// With a `password`, the sentinels require it (`requirepass`, which they also use with each other).
/// Whoever starts one stops it (``stop()``).
package final class RedisSentinelProcess: Sendable {
    package struct StartError: Error, CustomStringConvertible {
        package var description: String
    }

    package static let masterName = "herald-primary"
    package let primary: RedisServerProcess
    /// The replicas (the first is `replica`).
    package let replicas: [RedisServerProcess]
    package var replica: RedisServerProcess { replicas[0] }
    /// The sentinels' ports.
    package let sentinelPorts: [Int]
    /// The sentinels' own password (`requirepass`), if any.
    package let password: String?
    private let sentinelPIDs: [pid_t]
    private let directory: String

    /// `127.0.0.1:<port>` of every sentinel, comma-separated (for `--redis-sentinel`).
    package var sentinels: String {
        sentinelPorts.map { "127.0.0.1:\($0)" }.joined(separator: ",")
    }

    private init(primary: RedisServerProcess, replicas: [RedisServerProcess], sentinelPorts: [Int], password: String?, sentinelPIDs: [pid_t], directory: String) {
        self.primary = primary
        self.replicas = replicas
        self.sentinelPorts = sentinelPorts
        self.password = password
        self.sentinelPIDs = sentinelPIDs
        self.directory = directory
    }

    /// Starts the primary, `replicaCount` replicas and the sentinels (requiring `password` when given).
    package static func start(replicaCount: Int = 1, password: String? = nil) async throws -> RedisSentinelProcess {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("redis-sentinel-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let primary = try await RedisServerProcess.start()
        var replicas: [RedisServerProcess] = []
        do {
            for _ in 0..<replicaCount {
                replicas.append(try await RedisServerProcess.start(extraArguments: ["--replicaof", "127.0.0.1", "\(primary.port)"]))
            }
        } catch {
            replicas.forEach { $0.stop() }
            primary.stop()
            throw error
        }
        var ports: [Int] = []
        var pids: [pid_t] = []
        func cleanUp() {
            pids.forEach { ChildProcess.terminate($0) }
            replicas.forEach { $0.stop() }
            primary.stop()
            try? FileManager.default.removeItem(atPath: directory)
        }
        do {
            for index in 0..<3 {
                let port = try await LoopbackPort.free()
                let file = "\(directory)/sentinel-\(index).conf"
                // why: one second of silence marks the primary down; the short failover timeout lets a test
                // see the replica promoted within a few seconds.
                try """
                port \(port)
                bind 127.0.0.1
                dir \(directory)
                sentinel monitor \(masterName) 127.0.0.1 \(primary.port) 2
                sentinel down-after-milliseconds \(masterName) 1000
                sentinel failover-timeout \(masterName) 3000
                sentinel parallel-syncs \(masterName) 1
                \(password.map { "requirepass \($0)" } ?? "")
                """.write(toFile: file, atomically: true, encoding: .utf8)
                let pid = try ChildProcess.spawn("/usr/bin/redis-server", ["redis-server", file, "--sentinel"], logPath: "\(directory)/sentinel-\(index).log")
                ports.append(port)
                pids.append(pid)
            }
            let setup = RedisSentinelProcess(primary: primary, replicas: replicas, sentinelPorts: ports, password: password, sentinelPIDs: pids, directory: directory)
            try await setup.waitUntilMonitoring()
            return setup
        } catch {
            cleanUp()
            throw error
        }
    }

    /// Stops the sentinels and both servers, and removes their files.
    package func stop() {
        sentinelPIDs.forEach { ChildProcess.terminate($0) }
        replicas.forEach { $0.stop() }
        primary.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The primary as the first sentinel names it now (`host:port`).
    package func currentPrimary() async throws -> String {
        let reply = try await RedisClusterProcess.redisCLI(["-p", "\(sentinelPorts[0])"] + authArguments + ["SENTINEL", "GET-MASTER-ADDR-BY-NAME", Self.masterName])
        return reply.output.split(separator: "\n").joined(separator: ":")
    }

    /// `redis-cli` arguments that authenticate to the sentinels.
    private var authArguments: [String] {
        password.map { ["-a", $0, "--no-auth-warning"] } ?? []
    }

    private func waitUntilMonitoring(timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        var last = ""
        while ContinuousClock.now < deadline {
            var ready = true
            for port in sentinelPorts {
                let master = try await RedisClusterProcess.redisCLI(["-p", "\(port)"] + authArguments + ["SENTINEL", "MASTER", Self.masterName])
                last = master.output
                // why: a sentinel that has not seen the replica and the other sentinels yet cannot fail over.
                let lines = master.output.split(separator: "\n").map(String.init)
                func field(_ name: String) -> String? { lines.firstIndex(of: name).flatMap { $0 + 1 < lines.count ? lines[$0 + 1] : nil } }
                if field("num-slaves") != "\(replicas.count)" || field("num-other-sentinels") != "2" { ready = false; break }
            }
            for replica in replicas where ready {
                let sync = try await RedisClusterProcess.redisCLI(["-p", "\(replica.port)", "INFO", "replication"])
                ready = sync.output.contains("master_link_status:up")
            }
            if ready { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw StartError(description: "the sentinels did not all see the primary, its replica and each other within \(timeout): \(last.prefix(300))")
    }
}
