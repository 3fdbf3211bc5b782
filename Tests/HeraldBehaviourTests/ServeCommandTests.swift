import Foundation
import HeraldClient
import TestSupport
import Testing

/// Runs the real `herald` binary that `swift build --build-tests` produced next to the tests.
@Suite("herald serve, the executable", .timeLimit(.minutes(1)))
struct ServeCommandTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let binary = repository.appendingPathComponent(".build/debug/herald").path

    /// Runs `herald arguments` to completion (bounded) and returns its exit state and output.
    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (ChildProcess.State?, String) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("herald-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        let pid = try ChildProcess.spawn(Self.binary, ["herald"] + arguments, logPath: log, environment: environment)
        let state = ChildProcess.waitForExit(pid, timeout: 20)
        if state == nil { ChildProcess.terminate(pid) }
        return (state, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }

    @Test("--help documents every setting of docs/configuration.md with its variable and default")
    func helpMatchesDocs() throws {
        let (state, help) = try run(["serve", "--help"])
        #expect(state == .exited(0))
        let docs = try String(contentsOf: Self.repository.appendingPathComponent("docs/configuration.md"), encoding: .utf8)
        let documented = Set(docs.matches(of: /HERALD_[A-Z0-9_]+/).map { String($0.output) })
        let offered = Set(help.matches(of: /HERALD_[A-Z0-9_]+/).map { String($0.output) })
        #expect(documented.count >= 15)
        #expect(documented == offered)
        #expect(help.components(separatedBy: "(default:").count - 1 == offered.count)
    }

    @Test("an invalid setting stops startup with a message naming the flag and the variable")
    func invalidSetting() throws {
        let (byFlag, flagOutput) = try run(["serve", "--port", "70000"])
        #expect(byFlag != .exited(0) && byFlag != nil)
        #expect(flagOutput.contains("--port / HERALD_PORT"))
        let (byVariable, variableOutput) = try run(["serve"], environment: ["HERALD_HEARTBEAT": "soon"])
        #expect(byVariable != .exited(0) && byVariable != nil)
        #expect(variableOutput.contains("HERALD_HEARTBEAT"))
        let (tooLong, tooLongOutput) = try run(["serve", "--coalescing-window", "2s"])
        #expect(tooLong != .exited(0) && tooLong != nil)
        #expect(tooLongOutput.contains("--coalescing-window / HERALD_COALESCING_WINDOW: at most 1s"))
        let (memoryCapWithRedis, capOutput) = try run(["serve", "--redis-url", "redis://127.0.0.1:1", "--memory-max-topics", "10"])
        #expect(memoryCapWithRedis != .exited(0) && memoryCapWithRedis != nil)
        #expect(capOutput.contains("--memory-max-topics / HERALD_MEMORY_MAX_TOPICS applies to the memory backend only"))
        let (noTopics, noTopicsOutput) = try run(["serve"], environment: ["HERALD_MEMORY_MAX_TOPICS": "0"])
        #expect(noTopics != .exited(0) && noTopics != nil)
        #expect(noTopicsOutput.contains("--memory-max-topics / HERALD_MEMORY_MAX_TOPICS: 0 is outside 1...100000000"))
        let (noRoom, noRoomOutput) = try run(["serve", "--redis-url", "redis://127.0.0.1:1", "--redis-health-interval", "2s", "--redis-health-timeout", "1s"])
        #expect(noRoom != .exited(0) && noRoom != nil)
        #expect(noRoomOutput.contains("--redis-health-timeout / HERALD_REDIS_HEALTH_TIMEOUT must be longer than --redis-health-interval"))
        let (badMetrics, badMetricsOutput) = try run(["serve"], environment: ["HERALD_METRICS": "maybe"])
        #expect(badMetrics != .exited(0) && badMetrics != nil)
        #expect(badMetricsOutput.contains("--metrics / HERALD_METRICS: \"maybe\" is not a switch; use on or off"))
    }

    @Test("the auth hook's settings stop startup naming the setting: a URL that is not http(s), one at the node's own port, a hook setting without the URL, a bad header name", arguments: [
        (["--subscribe-auth-url", "ftp://app/auth"], "--subscribe-auth-url / HERALD_SUBSCRIBE_AUTH_URL: \"ftp://app/auth\" is not an http:// or https:// URL"),
        (["--port", "18080", "--subscribe-auth-url", "http://127.0.0.1:18080/auth"], "is this node's own listener"),
        (["--publish-port", "18081", "--subscribe-auth-url", "http://localhost:18081/auth"], "is this node's own listener"),
        (["--auth-cache-ttl", "5s"], "--auth-cache-ttl applies to the auth hooks: set --subscribe-auth-url / HERALD_SUBSCRIBE_AUTH_URL or --publish-auth-url"),
        (["--port", "18082", "--publish-auth-url", "http://127.0.0.1:18082/p"], "--publish-auth-url / HERALD_PUBLISH_AUTH_URL: http://127.0.0.1:18082/p is this node's own listener"),
        (["--publish-auth-url", "http://app/p", "--auth-fail-open-for-resumes", "on"], "--auth-fail-open-for-resumes applies to the subscribe hook"),
        (["--subscribe-auth-url", "http://app/auth", "--subscribe-auth-forward-headers", "cookie,bad header"], "\"bad header\" is not a header name"),
        (["--subscribe-auth-url", "http://app/auth", "--auth-timeout", "0"], "--auth-timeout / HERALD_AUTH_TIMEOUT"),
    ])
    func hookSettings(_ arguments: [String], _ message: String) throws {
        let (state, output) = try run(["serve"] + arguments)
        #expect(state != .exited(0) && state != nil)
        #expect(output.contains(message), "\(output)")
    }

    @Test("--redis-cluster stops startup naming the setting: with --redis-url, a bad seed, a key prefix with {, a seed that is not a cluster node, no seed answering")
    func clusterSettings() async throws {
        let (both, bothOutput) = try run(["serve", "--redis-url", "redis://127.0.0.1:1", "--redis-cluster", "127.0.0.1:2"])
        #expect(both != .exited(0) && bothOutput.contains("more than one of --redis-url / HERALD_REDIS_URL, --redis-cluster / HERALD_REDIS_CLUSTER and --redis-sentinel"), "\(bothOutput)")
        let (badNodes, badNodesOutput) = try run(["serve", "--redis-cluster", "127.0.0.1:2", "--redis-cluster-subscribe-on", "followers"])
        #expect(badNodes != .exited(0) && badNodesOutput.contains("--redis-cluster-subscribe-on / HERALD_REDIS_CLUSTER_SUBSCRIBE_ON: \"followers\" is not masters or replicas"), "\(badNodesOutput)")
        let (noCluster, noClusterOutput) = try run(["serve", "--redis-url", "redis://127.0.0.1:1", "--redis-cluster-subscribe-on", "replicas"])
        #expect(noCluster != .exited(0) && noClusterOutput.contains("applies to a Redis Cluster (--redis-cluster) only"), "\(noClusterOutput)")
        let (badSeed, badSeedOutput) = try run(["serve", "--redis-cluster", "127.0.0.1:2,:x"])
        #expect(badSeed != .exited(0) && badSeedOutput.contains("--redis-cluster / HERALD_REDIS_CLUSTER: \":x\" is not host:port"), "\(badSeedOutput)")
        let (braced, bracedOutput) = try run(["serve", "--redis-cluster", "127.0.0.1:2", "--key-prefix", "app{1}"])
        #expect(braced != .exited(0) && bracedOutput.contains("--key-prefix / HERALD_KEY_PREFIX: \"app{1}\" contains {"), "\(bracedOutput)")
        let plain = try await RedisServerProcess.start()
        defer { plain.stop() }
        let (notCluster, notClusterOutput) = try run(["serve", "--port", "0", "--redis-cluster", "127.0.0.1:\(plain.port)"])
        #expect(notCluster != .exited(0) && notClusterOutput.contains("--redis-cluster / HERALD_REDIS_CLUSTER: 127.0.0.1:\(plain.port) is not a Redis Cluster node"), "\(notClusterOutput)")
        let (silent, silentOutput) = try run(["serve", "--port", "0"], environment: ["HERALD_REDIS_CLUSTER": "127.0.0.1:1"])
        #expect(silent != .exited(0) && silentOutput.contains("--redis-cluster / HERALD_REDIS_CLUSTER: no Redis Cluster node answered"), "\(silentOutput)")
    }

    @Test("--redis-sentinel-password: the sentinels' own password; refused or missing, startup stops naming the setting; with the right one the node starts")
    func sentinelPassword() async throws {
        let (alone, aloneOutput) = try run(["serve", "--redis-url", "redis://127.0.0.1:1", "--redis-sentinel-password", "x"])
        #expect(alone != .exited(0) && aloneOutput.contains("apply to --redis-sentinel only"), "\(aloneOutput)")
        let sentinel = try await RedisSentinelProcess.start(replicaCount: 0, password: "sentinel-secret")
        defer { sentinel.stop() }
        let base = ["serve", "--port", "0", "--redis-sentinel", sentinel.sentinels, "--redis-sentinel-master", RedisSentinelProcess.masterName]
        for extra in [["--redis-sentinel-password", "not-it"], []] {
            let (refused, output) = try run(base + extra)
            #expect(refused != .exited(0) && output.contains("--redis-sentinel-password / HERALD_REDIS_SENTINEL_PASSWORD: check the sentinels' own password"), "\(output)")
            #expect(!output.contains("not-it"), "the password is not echoed")
        }
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("herald-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        let pid = try ChildProcess.spawn(Self.binary, ["herald"] + base, logPath: log, environment: ["HERALD_REDIS_SENTINEL_PASSWORD": "sentinel-secret"])
        defer { if ChildProcess.state(pid) == .running { ChildProcess.terminate(pid) } }
        let deadline = ContinuousClock.now + .seconds(10)
        var text = ""
        // why "listening": SIGTERM is handled once the service group runs, which it does by then.
        while !text.contains("listening"), ChildProcess.state(pid) == .running, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
            text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        }
        #expect(text.contains("using the redis backend") && text.contains("listening") && !text.contains("sentinel-secret"), "\(text)")
        kill(pid, SIGTERM)
        #expect(await ChildProcess.waitForExit(pid, timeout: 10) == .exited(0))
    }

    @Test("a key file that is not a usable PEM public key, or a short HMAC secret, stops startup naming flag and variable")
    func invalidKey() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("herald-bad-\(UUID().uuidString).pem").path
        try "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (byFlag, flagOutput) = try run(["serve", "--subscriber-jwt-key", path])
        #expect(byFlag != .exited(0) && byFlag != nil)
        #expect(flagOutput.contains("--subscriber-jwt-key / HERALD_SUBSCRIBER_JWT_KEY"))
        let (byVariable, variableOutput) = try run(["serve"], environment: ["HERALD_PUBLISHER_JWT_KEY": "short"])
        #expect(byVariable != .exited(0) && byVariable != nil)
        #expect(variableOutput.contains("HERALD_PUBLISHER_JWT_KEY") && variableOutput.contains("32"))
        #expect(!variableOutput.contains("short\""), "the secret is not echoed")
    }

    @Test("serve says which backend it uses, serves streams, and exits 0 on SIGTERM after closing them")
    func gracefulStop() async throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("herald-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        let pid = try ChildProcess.spawn(Self.binary, ["herald", "serve", "--host", "127.0.0.1", "--port", "0", "--drain-grace", "0", "--drain-window", "100ms"], logPath: log)
        defer { if ChildProcess.state(pid) == .running { ChildProcess.terminate(pid) } }
        var port: Int?
        let deadline = ContinuousClock.now + .seconds(10)
        while port == nil, ContinuousClock.now < deadline {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            port = text.firstMatch(of: /127\.0\.0\.1:(\d+)/).flatMap { Int($0.output.1) }
            if port == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        let listening = try #require(port)
        let startup = try String(contentsOfFile: log, encoding: .utf8)
        #expect(startup.contains("using the in-memory backend"))
        #expect(startup.contains("publisher auth is off") && startup.contains("subscriber auth is off"))
        let stream = try await HeraldHTTPClient.openEventStream(port: listening, path: "/events?topic=bye")
        #expect(stream.status == 200)
        kill(pid, SIGTERM)
        #expect(await ChildProcess.waitForExit(pid, timeout: 10) == .exited(0))
        var ended = false
        reading: for _ in 0..<100 {
            do {
                if try await stream.next(timeout: .seconds(5)) == nil {
                    ended = true
                    break reading
                }
            } catch let error as HeraldClientError where error.code == .timedOut {
                break reading
            } catch {
                ended = true  // the connection closed without the final chunk: also an end
                break reading
            }
        }
        #expect(ended, "the stream should end when the node stops")
        #expect(try String(contentsOfFile: log, encoding: .utf8).contains("stopped"))
    }
}
