import Foundation

/// A real Redis Cluster on loopback for integration tests: `masters` masters with `replicasPerMaster` replicas
/// each, every node a `RedisServerProcess` started with `--cluster-enabled yes` and its own `nodes.conf`,
/// joined by `redis-cli --cluster create`. ``start(masters:replicasPerMaster:)`` returns once every node
/// reports `cluster_state:ok`. Whoever starts one stops it (``stop()``).
package final class RedisClusterProcess: Sendable {
    package struct StartError: Error, CustomStringConvertible {
        package var description: String
    }

    /// Every node, in the order given to `redis-cli --cluster create` (masters first).
    package let nodes: [RedisServerProcess]
    private let directory: String

    /// `127.0.0.1:<port>` of every node, comma-separated: a seed list for `--redis-cluster`.
    package var seeds: String {
        nodes.map { "127.0.0.1:\($0.port)" }.joined(separator: ",")
    }

    private init(nodes: [RedisServerProcess], directory: String) {
        self.nodes = nodes
        self.directory = directory
    }

    /// Starts the nodes, creates the cluster and waits until it serves every slot.
    package static func start(masters: Int = 3, replicasPerMaster: Int = 1) async throws -> RedisClusterProcess {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("redis-cluster-\(UUID().uuidString)").path
        var nodes: [RedisServerProcess] = []
        do {
            for index in 0..<(masters * (1 + replicasPerMaster)) {
                let nodeDirectory = "\(directory)/\(index)"
                try FileManager.default.createDirectory(atPath: nodeDirectory, withIntermediateDirectories: true)
                // why: a short node timeout lets a killed master's replica take over within about two seconds. The
                // bus port is chosen free too: the default (port + 10000) may be taken, or past 65535.
                let busPort = try await LoopbackPort.free()
                nodes.append(try await RedisServerProcess.start(extraArguments: [
                    "--cluster-enabled", "yes", "--cluster-config-file", "\(nodeDirectory)/nodes.conf",
                    "--cluster-node-timeout", "1000", "--cluster-port", "\(busPort)", "--dir", nodeDirectory,
                ]))
            }
            let cluster = RedisClusterProcess(nodes: nodes, directory: directory)
            let create = try await redisCLI(["--cluster", "create"] + nodes.map { "127.0.0.1:\($0.port)" } + [
                "--cluster-replicas", "\(replicasPerMaster)", "--cluster-yes",
            ], timeout: .seconds(60))
            guard create.state == .exited(0) else {
                cluster.stop()
                throw StartError(description: "redis-cli --cluster create failed: \(create.output.suffix(500))")
            }
            try await cluster.waitUntilServing()
            return cluster
        } catch {
            nodes.forEach { $0.stop() }
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
    }

    /// Stops every node and removes their files.
    package func stop() {
        nodes.forEach { $0.stop() }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Waits until every node reports `cluster_state:ok` and `CLUSTER SHARDS` shows every node online
    /// (a new replica is `loading` until its first sync), within `timeout`.
    package func waitUntilServing(timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        var last = ""
        while ContinuousClock.now < deadline {
            var serving = true
            for node in nodes {
                let info = try await Self.redisCLI(["-p", "\(node.port)", "cluster", "info"])
                last = info.output
                if !info.output.contains("cluster_state:ok") { serving = false; break }
            }
            if serving {
                let shards = try await Self.redisCLI(["-p", "\(nodes[0].port)", "cluster", "shards"])
                last = shards.output
                serving = shards.output.split(separator: "\n").filter { $0 == "online" }.count == nodes.count
            }
            if serving { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw StartError(description: "the cluster did not reach cluster_state:ok within \(timeout): \(last.prefix(300))")
    }

    /// Runs `redis-cli` with `arguments` against the cluster's loopback nodes.
    package static func redisCLI(_ arguments: [String], timeout: Duration = .seconds(15)) async throws -> ChildProcess.Outcome {
        try await ChildProcess.run("/usr/bin/redis-cli", ["redis-cli", "-h", "127.0.0.1"] + arguments, timeout: timeout)
    }
}
