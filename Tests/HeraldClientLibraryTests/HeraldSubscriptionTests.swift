import HeraldClient
import Testing

/// `Herald.subscribe` against a scripted server: reconnection with Last-Event-ID, refusals, Herald's own events,
/// and a silent stream.
@Suite("Subscribing with the client library", .timeLimit(.minutes(1)))
struct HeraldSubscriptionTests {
    @Test("after the stream ends it reconnects with Last-Event-ID and yields each event once")
    func reconnectsAndResumes() async throws {
        // why: answered by what the request carries, not by its place: on a loaded machine the client may give up
        // on a first attempt that the server answers later, and try again before it has seen a1. A request after
        // a1 must carry it; one that carries anything else is refused.
        let script: @Sendable (Int, ScriptedServer.Request) -> ScriptedServer.Reply = { _, request in
            switch request.headers["last-event-id"] {
            case []: .stream(["retry: 10\n\n", "id: a1\ndata: one\n\n"])
            case ["a1"]: .stream(["id: a2\ndata: two\n\n"], hold: true)
            default: .respond(status: 400, body: #"{"error":{"code":"malformed_cursor","message":"wrong Last-Event-ID"}}"#)
            }
        }
        try await ScriptedServer.with(script) { server in
            var items: [HeraldSubscription.Item] = []
            for try await item in Herald(server: server.url).subscribe(to: ["orders/42", "user 7"]) {
                items.append(item)
                if case .event(let event) = item, event.data == "two" { break }
            }
            #expect(items.compactMap { if case .event(let event) = $0 { event.id } else { nil } } == ["a1", "a2"])
            #expect(items.contains { if case .disconnected = $0 { true } else { false } })
            #expect(server.received.first?.uri == "/events?topic=orders/42&topic=user%207")
            #expect(server.received.first?.headers["last-event-id"] == [])
        }
    }

    @Test("a subscription can start after a given event id")
    func startsAfterID() async throws {
        try await ScriptedServer.with({ _, _ in .stream(["id: b2\ndata: next\n\n"], hold: true) }) { server in
            for try await item in Herald(server: server.url).subscribe(to: ["t"], lastEventID: "b1") {
                if case .event = item { break }
            }
            #expect(server.received.first?.headers["last-event-id"] == ["b1"])
        }
    }

    @Test("a 401 ends the subscription with rejected, without retrying")
    func refusalEnds() async throws {
        let refusal = #"{"error":{"code":"unauthorized","message":"no credential for the private topic orders/42"}}"#
        try await ScriptedServer.with({ _, _ in .respond(status: 401, body: refusal) }) { server in
            do {
                for try await _ in Herald(server: server.url).subscribe(to: ["orders/42"]) {}
                Issue.record("a 401 must end the subscription")
            } catch let error as HeraldClientError {
                #expect(error.code == .rejected && error.status == 401 && error.serverCode == "unauthorized")
            }
            #expect(server.received.count == 1)
        }
    }

    @Test("a 503 and a herald.unavailable stream are retried after the delay the server gave")
    func temporaryRefusalsAreRetried() async throws {
        let script: @Sendable (Int, ScriptedServer.Request) -> ScriptedServer.Reply = { index, _ in
            switch index {
            case 0: .respond(status: 503, headers: [("retry-after", "0")], body: #"{"error":{"code":"draining","message":"stopping"}}"#)
            case 1: .stream(["event: herald.unavailable\ndata: {\"code\":\"node_full\",\"message\":\"full\",\"retryAfterMs\":40}\n\n"])
            default: .stream(["id: c1\ndata: in\n\n"], hold: true)
            }
        }
        try await ScriptedServer.with(script) { server in
            var delays: [Duration] = []
            for try await item in Herald(server: server.url).subscribe(to: ["t"]) {
                if case .disconnected(_, let delay) = item { delays.append(delay) }
                if case .event = item { break }
            }
            #expect(delays.count == 2)
            #expect(delays.last.map { $0 >= .milliseconds(30) && $0 <= .milliseconds(50) } == true, "40 ms ± 25 %: \(delays)")
        }
    }

    @Test("herald.reset is surfaced with its topics and reasons, then the events that follow")
    func resetIsSurfaced() async throws {
        let reset = "event: herald.reset\ndata: {\"topics\":[{\"topic\":\"t\",\"reason\":\"history_trimmed\"}]}\nid: r1\n\n"
        try await ScriptedServer.with({ _, _ in .stream([reset, "id: r2\ndata: kept\n\n"], hold: true) }) { server in
            var items: [HeraldSubscription.Item] = []
            for try await item in Herald(server: server.url).subscribe(to: ["t"]) {
                items.append(item)
                if case .event = item { break }
            }
            #expect(items.first == .reset([.init(topic: "t", reason: "history_trimmed")]))
            #expect(items.last == .event(SSEEvent(data: "kept", id: "r2")))
        }
    }

    @Test("herald.token-expired ends the subscription with tokenExpired")
    func tokenExpiryEnds() async throws {
        let expired = "event: herald.token-expired\ndata: {\"message\":\"the access token expired\"}\n\n"
        try await ScriptedServer.with({ _, _ in .stream(["id: e1\ndata: before\n\n", expired], hold: true) }) { server in
            var events = 0
            do {
                for try await item in Herald(server: server.url).subscribe(to: ["t"]) {
                    if case .event = item { events += 1 }
                }
                Issue.record("token expiry must end the subscription")
            } catch let error as HeraldClientError {
                #expect(error.code == .tokenExpired)
            }
            #expect(events == 1)
        }
    }

    @Test("a stream that sends nothing past the idle timeout is taken as dead and reconnected")
    func silentStreamIsReconnected() async throws {
        let script: @Sendable (Int, ScriptedServer.Request) -> ScriptedServer.Reply = { index, _ in
            index == 0 ? .stream([": hello\n\n"], hold: true) : .stream(["id: s1\ndata: back\n\n"], hold: true)
        }
        try await ScriptedServer.with(script) { server in
            var configuration = Herald.Configuration(server: server.url)
            configuration.idleTimeout = .milliseconds(300)
            configuration.reconnectDelay = .milliseconds(10)
            var reasons: [String] = []
            for try await item in Herald(configuration: configuration).subscribe(to: ["t"]) {
                if case .disconnected(let reason, _) = item { reasons.append(reason) }
                if case .event = item { break }
            }
            #expect(reasons.count == 1 && reasons[0].contains("sent nothing"), "\(reasons)")
        }
    }
}
