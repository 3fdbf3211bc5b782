import HeraldClient
import TestSupport
import Testing

/// The client library against a live node (memory backend), as an application would use it.
@Suite("The client library against a live node", .timeLimit(.minutes(1)))
struct HeraldLiveNodeTests {
    @Test("what is published reaches a subscription once and in order, and a later one resumes after an id")
    func publishSubscribeResume() async throws {
        let node = try await TestNode.start(.memory)
        let herald = Herald(server: "http://127.0.0.1:\(node.port)")
        do {
            let start = try await herald.publish(Publication(topic: "live/1", text: "before"))
            let received = Task {
                var events: [SSEEvent] = []
                for try await item in herald.subscribe(to: ["live/1"], lastEventID: start) {
                    if case .event(let event) = item { events.append(event) }
                    if events.count == 3 { break }
                }
                return events
            }
            let ids = try await herald.publish((1...3).map { Publication(topic: "live/1", json: #"{"n":\#($0)}"#, type: "tick") })
            let events = try await received.value
            #expect(events.map(\.data) == [#"{"n":1}"#, #"{"n":2}"#, #"{"n":3}"#])
            #expect(events.map(\.type) == ["tick", "tick", "tick"])
            #expect(events.compactMap(\.id) == ids)

            _ = try await herald.publish([Publication(topic: "live/1", text: "4"), Publication(topic: "live/1", text: "5")])
            var resumed: [String] = []
            for try await item in herald.subscribe(to: ["live/1"], lastEventID: ids.last) {
                if case .event(let event) = item { resumed.append(event.data) }
                if resumed.count == 2 { break }
            }
            #expect(resumed == ["4", "5"])
        } catch {
            try await node.stop()
            throw error
        }
        try await node.stop()
    }
}
