import HeraldClient
import TestSupport
import Testing

@Suite(
    "Redis restarting under open streams",
    .enabled(if: BackendKind.available.contains(.redis)),
    .timeLimit(.minutes(1))
)
struct RedisRestartTests {
    @Test("streams close after the subscriber re-subscribes, and resuming says what was lost")
    func restart() async throws {
        try await withNodes(.redis) { backend, nodes in
            let node = nodes[0]
            let stream = try await node.stream(["heal"])
            try await node.publish("heal", "before")
            let before = try #require(try await stream.nextEvent(timeout: .seconds(5)))
            try await backend.redis!.restart()  // no persistence: Redis comes back empty
            // The node re-subscribes, then closes the topic's streams so that their clients resume.
            var ended = false
            let deadline = ContinuousClock.now + .seconds(15)
            while !ended, ContinuousClock.now < deadline {
                do {
                    ended = try await stream.next(timeout: .seconds(1)) == nil
                } catch let error as HeraldClientError where error.code == .timedOut {
                    continue
                } catch {
                    ended = true
                }
            }
            #expect(ended)
            var published = false
            while !published, ContinuousClock.now < deadline {
                published = (try? await node.publish("heal", "after")) != nil
                if !published { try await Task.sleep(for: .milliseconds(50)) }
            }
            let resumed = try await node.stream(["heal"], lastEventID: before.id)
            let events = try await resumed.events(2)
            #expect(events.first?.type == "herald.reset")
            #expect(events.first?.data.contains("history_recreated") == true)
            #expect(events.last?.data == "after")
            await resumed.close()
        }
    }
}
