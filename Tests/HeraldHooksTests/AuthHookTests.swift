import Synchronization
import Testing
@testable import HeraldHooks

/// A hook answering from a script, counting its calls; `gate` holds every call until opened.
private final class ScriptedHook: AuthHookCalling {
    private let state = Mutex<(calls: Int, answer: Result<AuthHookAnswer, AuthHookError>)>(
        (0, .success(AuthHookAnswer(verdict: .allowed(topics: nil, expiresIn: nil, user: "u"))))
    )
    private let gate = Mutex<[CheckedContinuation<Void, Never>]?>(nil)

    var calls: Int { state.withLock { $0.calls } }

    func answer(_ result: Result<AuthHookAnswer, AuthHookError>) {
        state.withLock { $0.answer = result }
    }

    func close() {
        gate.withLock { $0 = [] }
    }

    func open() {
        let waiting = gate.withLock { waiting in
            defer { waiting = nil }
            return waiting ?? []
        }
        waiting.forEach { $0.resume() }
    }

    func call(_ question: AuthHookQuestion) async throws(AuthHookError) -> AuthHookAnswer {
        await withCheckedContinuation { continuation in
            let held = gate.withLock { waiting in
                guard waiting != nil else { return false }
                waiting!.append(continuation)
                return true
            }
            if !held { continuation.resume() }
        }
        return try state.withLock { state in
            state.calls += 1
            return state.answer
        }.get()
    }
}

/// A clock the test moves.
private final class TestClock: Sendable {
    private let instant = Mutex(ContinuousClock.now)
    var now: ContinuousClock.Instant { instant.withLock { $0 } }
    func advance(_ duration: Duration) { instant.withLock { $0 += duration } }
}

@Suite("The auth hook's cache, single flight and fail-open")
struct AuthHookTests {
    private let caller = ScriptedHook()
    private let clock = TestClock()

    private func hook(ttl: Duration = .seconds(10), failOpen: Bool = false) -> AuthHook {
        let clock = clock
        return AuthHook(
            settings: AuthHookSettings(url: "http://app/auth", cacheTTL: ttl, failOpenForResumes: failOpen), caller: caller, now: { clock.now }
        )
    }

    private func question(_ session: String = "s1", topics: [String] = ["t"], resuming: Bool = false) -> AuthHookQuestion {
        AuthHookQuestion(action: .subscribe, topics: topics, resuming: resuming, clientAddress: "10.0.0.1", headers: [(name: "cookie", value: session)])
    }

    @Test("an answer is reused for the same question until the cache time passes, then asked again")
    func cacheTime() async throws {
        let hook = hook()
        #expect(try await hook.decide(question()).cached == false)
        clock.advance(.seconds(9))
        #expect(try await hook.decide(question()).cached == true)
        #expect(try await hook.decide(question("s2")).cached == false, "another session is another question")
        clock.advance(.seconds(2))
        #expect(try await hook.decide(question()).cached == false)
        #expect(caller.calls == 3)
        #expect(hook.counts == AuthHook.Counts(calls: 3, cacheHits: 1))
    }

    @Test("the hook's max-age replaces the cache time, no-store keeps the answer out, refusals are cached, failures are not")
    func cacheControl() async throws {
        let hook = hook()
        caller.answer(.success(AuthHookAnswer(verdict: .allowed(topics: nil, expiresIn: nil, user: nil), caching: .maxAge(.seconds(60)))))
        _ = try await hook.decide(question("a"))
        clock.advance(.seconds(30))
        #expect(try await hook.decide(question("a")).cached)
        caller.answer(.success(AuthHookAnswer(verdict: .allowed(topics: nil, expiresIn: nil, user: nil), caching: .never)))
        _ = try await hook.decide(question("b"))
        #expect(try await hook.decide(question("b")).cached == false)
        caller.answer(.success(AuthHookAnswer(verdict: .refused(unauthorized: true, reason: nil))))
        _ = try await hook.decide(question("c"))
        #expect(try await hook.decide(question("c")).verdict == .refused(unauthorized: true, reason: nil))
        caller.answer(.failure(AuthHookError(.unavailable, "down")))
        await #expect(throws: AuthHookError.self) { try await hook.decide(question("d")) }
        await #expect(throws: AuthHookError.self) { try await hook.decide(question("d")) }
        #expect(caller.calls == 6, "a, b twice, c, d twice")
    }

    @Test("an allowed answer with expires_in is cached no longer than it allows, and the stream's end counts from the answer")
    func expiry() async throws {
        let hook = hook()
        caller.answer(.success(AuthHookAnswer(verdict: .allowed(topics: nil, expiresIn: .seconds(4), user: nil))))
        let first = try await hook.decide(question())
        clock.advance(.seconds(3))
        let cached = try await hook.decide(question())
        #expect(cached.cached && cached.expiresAt == first.expiresAt)
        clock.advance(.seconds(2))
        #expect(try await hook.decide(question()).cached == false, "past expires_in the answer is asked again")
    }

    @Test("1,000 identical questions asked while the first call is out make one call")
    func singleFlight() async throws {
        let hook = hook()
        caller.close()
        let decisions = try await withThrowingTaskGroup(of: AuthHook.Decision.self) { group in
            for _ in 0..<1000 { group.addTask { try await hook.decide(question()) } }
            // why: polled, not timed: the calls are all asked once every one of them found the first in flight.
            while hook.counts.calls + hook.counts.sharedCalls < 1000 { await Task.yield() }
            caller.open()
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(decisions.count == 1000)
        #expect(caller.calls == 1)
        #expect(hook.counts.calls == 1 && hook.counts.sharedCalls == 999)
    }

    @Test("fail-open lets a resume through with the hook down only for a question whose stream is open or closed within the window")
    func failOpen() async throws {
        let hook = hook(failOpen: true)
        let decision = try await hook.decide(question())
        hook.streamOpened(question().key, topics: question().topics, decision: decision)
        caller.answer(.failure(AuthHookError(.unavailable, "down")))
        clock.advance(.seconds(11))
        #expect(try await hook.decide(question(resuming: true)).failedOpen, "the stream is open")
        await #expect(throws: AuthHookError.self, "not a resume") { try await hook.decide(question()) }
        await #expect(throws: AuthHookError.self, "another session") { try await hook.decide(question("s2", resuming: true)) }
        hook.streamClosed(question().key)
        clock.advance(.seconds(59))
        #expect(try await hook.decide(question(resuming: true)).failedOpen, "closed 59 s ago")
        clock.advance(.seconds(2))
        await #expect(throws: AuthHookError.self, "closed 61 s ago") { try await hook.decide(question(resuming: true)) }
        #expect(hook.counts.failedOpen == 2)
    }

    @Test("a revocation forgets the user's answers and those about the topics; others stay cached")
    func forget() async throws {
        let hook = hook()
        caller.answer(.success(AuthHookAnswer(verdict: .allowed(topics: nil, expiresIn: nil, user: "alice"))))
        _ = try await hook.decide(question("a", topics: ["x"]))
        caller.answer(.success(AuthHookAnswer(verdict: .allowed(topics: nil, expiresIn: nil, user: "bob"))))
        _ = try await hook.decide(question("b", topics: ["y"]))
        _ = try await hook.decide(question("b", topics: ["z"]))
        hook.forget(user: "alice", topics: ["z"])
        #expect(try await hook.decide(question("a", topics: ["x"])).cached == false, "alice's answer was kept")
        #expect(try await hook.decide(question("b", topics: ["z"])).cached == false, "the answer about z was kept")
        #expect(try await hook.decide(question("b", topics: ["y"])).cached, "bob's answer about y was forgotten")
    }

    @Test("the cache holds at most maxCachedAnswers: a question past it is answered but asked again next time, until expired ones are swept")
    func bounded() async throws {
        var settings = AuthHookSettings(url: "http://app/auth", cacheTTL: .seconds(10))
        settings.maxCachedAnswers = 2
        let clock = clock
        let hook = AuthHook(settings: settings, caller: caller, now: { clock.now })
        for session in ["a", "b", "c"] { _ = try await hook.decide(question(session)) }
        #expect(try await hook.decide(question("a")).cached)
        #expect(try await hook.decide(question("b")).cached)
        #expect(try await hook.decide(question("c")).cached == false, "a third answer was kept past the bound")
        clock.advance(.seconds(11))
        for session in ["d", "e"] { _ = try await hook.decide(question(session)) }
        #expect(try await hook.decide(question("e")).cached, "expired answers were not swept to make room")
    }

    @Test("without the switch a resume gets the hook's failure")
    func failOpenOff() async throws {
        let hook = hook(failOpen: false)
        let decision = try await hook.decide(question())
        hook.streamOpened(question().key, topics: question().topics, decision: decision)
        caller.answer(.failure(AuthHookError(.unavailable, "down")))
        clock.advance(.seconds(11))
        await #expect(throws: AuthHookError.self) { try await hook.decide(question(resuming: true)) }
    }
}
