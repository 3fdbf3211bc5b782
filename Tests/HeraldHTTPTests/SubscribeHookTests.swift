import Foundation
import HeraldAuth
import HeraldClient
import HeraldHooks
import Synchronization
import TestSupport
import Testing

/// `--subscribe-auth-url`: the application's own endpoint decides who reads which topics, from the request's
/// cookies and headers. A real HTTP hook on loopback (`HookServer`) answers; the tests count its calls.
@Suite("The application's subscribe hook", .timeLimit(.minutes(2)))
struct SubscribeHookTests {
    static let session = ("cookie", "theme=dark; app_session=alice")

    /// A node whose streams ask `hook`, with `news/*` public; `settings` adjusts the hook's settings.
    func withNode(
        _ hook: HookServer, _ settings: (inout AuthHookSettings) -> Void = { _ in },
        auth: Authorizer? = nil, _ body: (TestNode) async throws -> Void
    ) async throws {
        var hookSettings = AuthHookSettings(url: hook.url, timeout: .seconds(2))
        settings(&hookSettings)
        let configured = hookSettings
        let auth = try auth ?? Authorizer(subscriber: SubscriberAuth(verifier: nil, publicTopics: TopicPattern.list("news/*")))
        try await TestNode.with(.memory, configure: {
            $0.subscribeHook = configured
            $0.auth = auth
        }, body)
        await hook.stop()
    }

    func expectDelivery(_ node: TestNode, _ topics: [String], headers: [(String, String)] = [session]) async throws {
        let stream = try await node.stream(topics, headers: headers)
        #expect(stream.status == 200)
        try await node.publish(topics[0], "hello")
        #expect(try await stream.nextEvent(timeout: .seconds(5))?.data == "hello")
        await stream.close()
    }

    @Test("an allowed stream opens; the hook gets the forwarded headers, the client's address and the private topics")
    func allowed() async throws {
        let hook = try await HookServer.start { _ in .allow() }
        try await withNode(hook) { node in
            try await expectDelivery(node, ["room/1", "news/today"], headers: [Self.session, ("origin", "https://app.example"), ("x-other", "no")])
            let request = try #require(hook.requests.first)
            #expect(request.method == "POST" && request.path == "/auth")
            #expect(request.header("cookie") == Self.session.1 && request.header("origin") == "https://app.example")
            #expect(request.header("x-other") == nil, "only the listed headers are forwarded")
            #expect(request.header("x-forwarded-for") == "127.0.0.1")
            #expect(request.json["topics"] as? [String] == ["room/1"], "public topics are not asked about")
            #expect(request.json["resuming"] as? Bool == false)
            #expect(request.json["client_address"] as? String == "127.0.0.1")
        }
    }

    @Test("a stream of public topics only asks nothing")
    func publicTopics() async throws {
        let hook = try await HookServer.start { _ in Response(status: 403) }
        try await withNode(hook) { node in
            try await expectDelivery(node, ["news/today"])
            #expect(hook.requests.isEmpty)
        }
    }

    @Test("a subset: the topics the hook leaves out are refused 403, naming them")
    func subset() async throws {
        let hook = try await HookServer.start { _ in .allow(#"{"topics":["room/1"]}"#) }
        try await withNode(hook) { node in
            expectError(try await node.get("/events?topic=room/1&topic=room/2", headers: [Self.session]), status: 403, code: "forbidden_topic", hint: "room/2")
            try await expectDelivery(node, ["room/1"])
        }
    }

    @Test("401 and 403 from the hook refuse with Herald's JSON error and the hook's reason")
    func refused() async throws {
        let hook = try await HookServer.start { request in
            request.header("cookie")?.contains("app_session=") == true
                ? Response(status: 403, body: #"{"message":"banned until Monday"}"#) : Response(status: 401)
        }
        try await withNode(hook) { node in
            let anonymous = try await node.get("/events?topic=room/1")
            expectError(anonymous, status: 401, code: "unauthorized", hint: "did not recognize")
            expectError(try await node.get("/events?topic=room/1", headers: [Self.session]), status: 403, code: "forbidden", hint: "banned until Monday")
        }
    }

    @Test("a hook that is slow, down or answers garbage gets the stream a retry stream (auth_unavailable), never a stream or a hang", arguments: [
        "slow", "garbage", "10 MB", "redirect", "500",
    ])
    func unavailable(_ how: String) async throws {
        let target = try await HookServer.start { _ in .allow() }
        let hook = try await HookServer.start { _ in
            switch how {
            case "slow": return Response(delay: .seconds(5))
            case "garbage": return Response(body: "<html>login</html>")
            case "10 MB": return Response(body: "{\"user\":\"" + String(repeating: "x", count: 10 << 20) + "\"}")
            case "redirect": return Response(status: 302, headers: [("location", target.url)])
            default: return Response(status: 500)
            }
        }
        try await withNode(hook, { $0.timeout = .milliseconds(500) }) { node in
            // why: the slow hook answers 200 after 5 s; a node that waited for it would open the stream instead.
            let refusal = try await node.stream(["room/1"], headers: [Self.session]).refusal()
            #expect(refusal.code == "auth_unavailable", "\(refusal)")
            #expect(refusal.retry != nil && refusal.other.isEmpty)
            #expect(target.requests.isEmpty, "a redirect was followed")
        }
        await target.stop()
    }

    @Test("a hook that is not there gets a retry stream; publishes go on")
    func down() async throws {
        let hook = try await HookServer.start { _ in .allow() }
        await hook.stop()
        try await withNode(hook) { node in
            let refusal = try await node.stream(["room/1"], headers: [Self.session]).refusal()
            #expect(refusal.code == "auth_unavailable", "\(refusal)")
            try await node.publish("room/1", "stored anyway")
        }
    }

    @Test("answers are cached per credentials and topics: the same session twice makes one call, another session its own")
    func cached() async throws {
        let hook = try await HookServer.start { _ in .allow() }
        try await withNode(hook) { node in
            try await expectDelivery(node, ["room/1"])
            try await expectDelivery(node, ["room/1"])
            #expect(hook.requests.count == 1)
            try await expectDelivery(node, ["room/1"], headers: [("cookie", "app_session=bob")])
            try await expectDelivery(node, ["room/2"])
            #expect(hook.requests.count == 3)
        }
    }

    @Test("Cache-Control: no-store from the hook asks again for every stream")
    func noStore() async throws {
        let hook = try await HookServer.start { _ in .allow(headers: [("cache-control", "no-store")]) }
        try await withNode(hook) { node in
            try await expectDelivery(node, ["room/1"])
            try await expectDelivery(node, ["room/1"])
            #expect(hook.requests.count == 2)
        }
    }

    @Test("a storm: 1,000 streams of 5 sessions reconnecting at once make 5 calls")
    func storm() async throws {
        // why: a slow hook (200 ms) makes the storm's requests arrive while the first calls are still out.
        let hook = try await HookServer.start { _ in Response(body: "{}", delay: .milliseconds(200)) }
        try await withNode(hook) { node in
            let results = await withTaskGroup(of: Int.self) { group in
                for index in 0..<1000 {
                    group.addTask {
                        do {
                            let connection = try await SSELoadConnection.connect(
                                port: node.port, path: "/events?topic=storm/\(index % 5)",
                                headers: [("Cookie", "app_session=user-\(index % 5)")], timeout: .seconds(30), onEvent: { _ in }
                            )
                            defer { connection.close() }
                            return connection.status
                        } catch {
                            return 0
                        }
                    }
                }
                return await group.reduce(into: [Int: Int]()) { $0[$1, default: 0] += 1 }
            }
            #expect(results == [200: 1000], "\(results)")
            #expect(hook.requests.count == 5, "\(hook.requests.count) calls for 5 sessions")
        }
    }

    @Test("expires_in ends the stream with herald.token-expired, as a token's exp does")
    func expiry() async throws {
        let hook = try await HookServer.start { _ in .allow(#"{"expires_in":1}"#) }
        try await withNode(hook) { node in
            let stream = try await node.stream(["room/1"], headers: [Self.session])
            #expect(stream.status == 200)
            let expired = try #require(try await stream.nextEvent(timeout: .seconds(10)))
            #expect(expired.type == "herald.token-expired")
            #expect(try await stream.next(timeout: .seconds(5)) == nil)
        }
    }

    @Test("with a subscriber key too, a valid token skips the hook; a token that does not verify is asked of the hook")
    func withTokens() async throws {
        let hook = try await HookServer.start { _ in .allow() }
        let auth = try TestTokens.authorizer(publisher: false, publicTopics: "news/*")
        try await withNode(hook, auth: auth) { node in
            let token = try await TestTokens.hs256(subscribe: ["room/*"])
            try await expectDelivery(node, ["room/1"], headers: [("authorization", "Bearer \(token)")])
            #expect(hook.requests.isEmpty)
            try await expectDelivery(node, ["room/1"], headers: [("authorization", "Bearer app-opaque-token")])
            #expect(hook.requests.first?.header("authorization") == "Bearer app-opaque-token")
            let forbidden = try await node.get("/events?topic=other/1", headers: [("authorization", "Bearer \(token)")])
            expectError(forbidden, status: 403, code: "forbidden_topic", hint: "other/1")
            expectError(try await node.get("/events?topic=news/1", headers: [("authorization", "Bearer forged")]), status: 401, code: "unauthorized", hint: "rejected")
            #expect(hook.requests.count == 1)
        }
    }

    @Test("--auth-fail-open-for-resumes: with the hook down, a resume of a stream this node held opens; a first visit does not")
    func failOpen() async throws {
        let down = Mutex(false)
        let hook = try await HookServer.start { _ in down.withLock { $0 } ? Response(status: 503) : .allow() }
        try await withNode(hook, { $0.failOpenForResumes = true; $0.cacheTTL = .zero }) { node in
            let stream = try await node.stream(["room/1"], headers: [Self.session])
            let id = try await node.publish("room/1", "one")
            #expect(try await stream.nextEvent(timeout: .seconds(5))?.data == "one")
            await stream.close()
            down.withLock { $0 = true }
            let resumed = try await node.stream(["room/1"], lastEventID: id, headers: [Self.session])
            try await node.publish("room/1", "two")
            #expect(try await resumed.nextEvent(timeout: .seconds(5))?.data == "two")
            await resumed.close()
            let first = try await node.stream(["room/1"], headers: [Self.session]).refusal()
            #expect(first.code == "auth_unavailable")
            let stranger = try await node.stream(["room/1"], lastEventID: id, headers: [("cookie", "app_session=mallory")]).refusal()
            #expect(stranger.code == "auth_unavailable")
        }
    }
}

private typealias Response = HookServer.Response
