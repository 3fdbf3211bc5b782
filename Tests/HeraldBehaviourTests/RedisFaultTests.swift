import Foundation
import HeraldClient
import TestSupport
import Testing

/// Redis faults under open streams: the node heals live delivery from the streams in place, so clients
/// neither reconnect nor miss an event.
@Suite(
    "Redis faults under open streams",
    .enabled(if: BackendKind.available.contains(.redis)),
    .timeLimit(.minutes(1))
)
struct RedisFaultTests {
    @Test("a killed pub/sub connection is healed in place: the stream stays open and misses nothing")
    func pubSubKilled() async throws {
        try await withBackend(.redis) { backend in
            try await TestNode.with(backend.testBackend) { node in
                let stream = try await node.stream(["heal"])
                try await node.publish("heal", "0")
                #expect(try await stream.nextEvent(timeout: .seconds(5))?.data == "0")
                try redisCLI(backend, ["CLIENT", "KILL", "TYPE", "pubsub"])
                // why: publishing at once and in a burst lands events in the window where the node is deaf.
                for value in 1...30 { try await node.publish("heal", "\(value)") }
                let events = try await stream.events(30)
                #expect(events.map(\.data) == (1...30).map(String.init))
                try await node.publish("heal", "31")
                #expect(try await stream.nextEvent(timeout: .seconds(5))?.data == "31", "the stream is still open and live")
            }
        }
    }

    @Test("after a restart that lost Redis' data, the stream stays open, gets the next event, and resuming says what was lost")
    func restartWithoutPersistence() async throws {
        try await withNodes(.redis) { backend, nodes in
            let node = nodes[0]
            let stream = try await node.stream(["heal"])
            try await node.publish("heal", "before")
            let before = try #require(try await stream.nextEvent(timeout: .seconds(5)))
            try await backend.redis!.restart()  // no persistence: Redis comes back empty
            try await publishWhenReady(node, "heal", "after")
            #expect(try await stream.nextEvent(timeout: .seconds(5))?.data == "after")
            let resumed = try await node.stream(["heal"], lastEventID: before.id)
            let events = try await resumed.events(2)
            #expect(events.first?.type == "herald.reset")
            #expect(events.first?.data.contains("history_recreated") == true)
            #expect(events.last?.data == "after")
            await resumed.close()
        }
    }

    @Test("while Redis is down, publish and /readyz answer 503 with Retry-After, a new stream gets a retry stream, open streams keep their heartbeats and go on when it is back")
    func redisDown() async throws {
        try await withBackend(.redis) { backend in
            try await TestNode.with(backend.testBackend, heartbeat: .milliseconds(100)) { node in
                let stream = try await node.stream(["down"])
                try await node.publish("down", "1")
                #expect(try await stream.nextEvent(timeout: .seconds(5))?.data == "1")
                backend.redis!.stop()
                let refused = try await node.post(contentType: "application/json", body: #"{"topic":"down","data":"2"}"#)
                #expect(refused.status == 503)
                #expect(refused.header("retry-after") != nil)
                #expect(refused.bodyText.contains("backend_unavailable"))
                #expect(try await node.get("/readyz").status == 503)
                let refusedStream = try await node.stream(["down-new"])
                #expect(refusedStream.status == 200, "a browser must not give up: a retry stream, not a 503")
                let refusal = try await refusedStream.refusal()
                #expect(refusal.code == "backend_unavailable" && refusal.ended, "\(refusal)")
                #expect(refusal.retry != nil && refusal.retry == refusal.retryAfterMilliseconds)
                var heartbeats = 0
                while heartbeats < 3, let item = try await stream.next(timeout: .seconds(5)) {
                    if case .comment = item { heartbeats += 1 }
            }
            #expect(heartbeats == 3, "heartbeats continue while Redis is down")
            try await backend.redis!.restart()
            try await publishWhenReady(node, "down", "3")
            #expect(try await stream.nextEvent(timeout: .seconds(5))?.data == "3")
            }
        }
    }

    /// Publishes once the node is ready again (Redis back and re-subscribed), bounded.
    private func publishWhenReady(_ node: TestNode, _ topic: String, _ data: String) async throws {
        try await node.waitUntilReady(timeout: .seconds(15))
        try await node.publish(topic, data)
    }

    private func redisCLI(_ backend: PreparedBackend, _ arguments: [String]) throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("redis-cli-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        let path = ["/usr/bin/redis-cli", "/usr/local/bin/redis-cli"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let pid = try ChildProcess.spawn(try #require(path, "redis-cli is needed"), ["redis-cli", "-p", "\(backend.redis!.port)"] + arguments, logPath: log)
        #expect(ChildProcess.waitForExit(pid, timeout: 10) == .exited(0))
    }
}
