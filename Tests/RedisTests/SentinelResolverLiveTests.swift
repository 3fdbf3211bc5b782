import NIOCore
import Redis
import ServiceLifecycle
import Synchronization
import TestSupport
import Testing

/// `RedisSentinelResolver` against real sentinels on loopback: it follows a switch of primary from the
/// sentinels' `+switch-master` announcement, not from its periodic check.
@Suite(
    "Redis Sentinel resolver, live",
    .enabled(if: RedisTestEnvironment.isEnabled, "redis-server is not installed"),
    .timeLimit(.minutes(2))
)
struct SentinelResolverLiveTests {
    @Test("a switch of primary is reported from the +switch-master announcement (the periodic check is an hour away)")
    func followsSwitchAnnouncement() async throws {
        let setup = try await RedisSentinelProcess.start()
        defer { setup.stop() }
        var configuration = RedisSentinelConfiguration(
            sentinels: setup.sentinelPorts.map { RedisServerAddress(host: "127.0.0.1", port: $0) },
            masterName: RedisSentinelProcess.masterName, node: RedisConfiguration(host: "127.0.0.1")
        )
        configuration.checkInterval = .hours(1)
        let logger = RedisTestEnvironment.logger("sentinel-resolver")
        let resolver = RedisSentinelResolver(configuration: configuration, eventLoopGroup: RedisTestEnvironment.eventLoopGroup, logger: logger)
        let switches = Mutex<[RedisServerAddress]>([])
        resolver.onPrimarySwitch { address in switches.withLock { $0.append(address) } }
        #expect(try await resolver.currentAddress().port == setup.primary.port)

        let group = ServiceGroup(configuration: .init(services: [.init(service: resolver)], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            // why: `sub=1` (one channel subscribed), not the last command, which the subscriber's health-check
            // PING replaces on a slow run.
            let subscribed = try await RedisTestEnvironment.eventually(within: .seconds(30)) {
                var clients: [String] = []
                for port in setup.sentinelPorts {
                    clients.append(try await RedisClusterProcess.redisCLI(["-p", "\(port)", "CLIENT", "LIST"]).output)
                }
                return clients.allSatisfy { $0.contains(" sub=1 ") }
            }
            #expect(subscribed, "every sentinel has the resolver's subscription")
            setup.primary.crash()
            let reported = await RedisTestEnvironment.eventually(within: .seconds(40)) { !switches.withLock { $0 }.isEmpty }
            #expect(reported, "the switch was reported")
            #expect(switches.withLock { $0 } == [RedisServerAddress(host: "127.0.0.1", port: setup.replica.port)], "once, naming the promoted replica")
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}
