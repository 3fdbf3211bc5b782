import TestSupport
import Testing

/// A suite trait: one Redis Cluster on loopback (three masters, one replica each) started before the suite's
/// first test and stopped after its last, reached by the tests as ``current``.
///
/// why: creating a cluster and syncing its replicas takes seconds on two shared cores; the tests that share it
/// use their own key prefixes and leave every node serving (a killed master comes back as a replica).
struct SharedRedisCluster: SuiteTrait, TestScoping {
    @TaskLocal static var current: RedisClusterProcess?

    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let cluster = try await RedisClusterProcess.start(masters: 3, replicasPerMaster: 1)
        defer { cluster.stop() }
        try await Self.$current.withValue(cluster, operation: function)
    }

    /// The suite's cluster; throws outside a suite with this trait.
    static func required() throws -> RedisClusterProcess {
        guard let current else { throw FailoverFailure("no shared Redis Cluster: add .sharedRedisCluster to the suite") }
        return current
    }
}

extension Trait where Self == SharedRedisCluster {
    /// One Redis Cluster for the whole suite (``SharedRedisCluster``).
    static var sharedRedisCluster: Self { Self() }
}
