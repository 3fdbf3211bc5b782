import Synchronization

/// Asks an application's auth hook, cheaply under reconnect storms: answers are cached per question (the
/// forwarded credentials and the topics) for `cacheTTL` or the hook's `max-age`; identical questions asked
/// while a call is out share that call; the caller bounds concurrent calls and their time.
///
/// Guarantees: at most one call per question is in flight; a cached answer is never used past its time, nor
/// an allowed one past the `expires_in` the hook gave (counted from its answer); failures are not cached.
/// With `failOpenForResumes`, a question whose call fails is allowed when it resumes (``AuthHookQuestion/resuming``)
/// and the same question was allowed for a stream that is open on this node or closed within
/// `failOpenWindow`, with the same `expires_in` limit as then (streams report through
/// ``streamOpened(_:decision:)`` and ``streamClosed(_:)``).
public final class AuthHook: Sendable {
    /// What to do with a question.
    public struct Decision: Sendable {
        public var verdict: AuthHookAnswer.Verdict
        /// When an allowed stream must end (the hook's `expires_in` from its answer); nil: no limit.
        public var expiresAt: ContinuousClock.Instant?
        /// Taken from the cache, without a call.
        public var cached: Bool
        /// Allowed although the hook could not be asked (`failOpenForResumes`).
        public var failedOpen: Bool
    }

    /// What the hook was spared and what it was asked, since start.
    public struct Counts: Sendable, Equatable {
        public var calls = 0
        public var cacheHits = 0
        /// Questions that waited for an identical call already out instead of making their own.
        public var sharedCalls = 0
        public var failures = 0
        public var failedOpen = 0
    }

    private struct Entry {
        var answer: AuthHookAnswer
        var topics: [String]
        var expiresAt: ContinuousClock.Instant?
        var freshUntil: ContinuousClock.Instant
    }

    private struct Holder {
        var open = 0
        var lastSeen: ContinuousClock.Instant
        var decision: Decision
        var topics: [String]
    }

    private struct State {
        var cache: [AuthHookQuestion.Key: Entry] = [:]
        var inFlight: [AuthHookQuestion.Key: Task<Decision, any Error>] = [:]
        var holders: [AuthHookQuestion.Key: Holder] = [:]
        var counts = Counts()
        /// The cache size at which expired entries are swept next.
        var nextSweep = 1024
        /// When the cache, full at `maxCachedAnswers`, was last swept.
        var lastFullSweep: ContinuousClock.Instant?
    }

    public let settings: AuthHookSettings
    private let caller: any AuthHookCalling
    private let now: @Sendable () -> ContinuousClock.Instant
    private let state = Mutex(State())

    /// A hook asked through `caller`; `now` is the clock (a test's own, to step time without waiting).
    public init(settings: AuthHookSettings, caller: any AuthHookCalling, now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.settings = settings
        self.caller = caller
        self.now = now
    }

    public var counts: Counts { state.withLock { $0.counts } }

    /// The decision for `question`: from the cache, from a call already out for it, or from a new call.
    public func decide(_ question: AuthHookQuestion) async throws(AuthHookError) -> Decision {
        let key = question.key
        enum Found {
            case cached(Decision)
            case call(Task<Decision, any Error>)
        }
        let found: Found = state.withLock { state in
            let instant = now()
            if let entry = state.cache[key] {
                if entry.freshUntil > instant {
                    state.counts.cacheHits += 1
                    return .cached(Decision(verdict: entry.answer.verdict, expiresAt: entry.expiresAt, cached: true, failedOpen: false))
                }
                state.cache[key] = nil
            }
            if let running = state.inFlight[key] {
                state.counts.sharedCalls += 1
                return .call(running)
            }
            state.counts.calls += 1
            let call = Task { [self] in try await ask(question) }
            state.inFlight[key] = call
            return .call(call)
        }
        switch found {
        case .cached(let decision):
            return decision
        case .call(let task):
            do {
                return try await task.value
            } catch {
                if let allowed = failOpen(question) { return allowed }
                throw error as? AuthHookError ?? AuthHookError(.unavailable, "the auth hook \(settings.url) failed: \(error)", underlying: error)
            }
        }
    }

    /// A stream allowed by `decision` for the question with `key` opened on this node.
    public func streamOpened(_ key: AuthHookQuestion.Key, topics: [String], decision: Decision) {
        guard settings.failOpenForResumes else { return }
        state.withLock { state in
            let instant = now()
            var holder = state.holders[key] ?? Holder(lastSeen: instant, decision: decision, topics: [])
            holder.open += 1
            holder.lastSeen = instant
            holder.decision = decision
            holder.topics = topics
            state.holders[key] = holder
        }
    }

    /// A stream that ``streamOpened(_:decision:)`` reported closed.
    public func streamClosed(_ key: AuthHookQuestion.Key) {
        guard settings.failOpenForResumes else { return }
        state.withLock { state in
            let instant = now()
            state.holders[key]?.open -= 1
            state.holders[key]?.lastSeen = instant
            // why: a holder is kept a window after its last stream closed; sweep them when there are many.
            if state.holders.count > 4096 {
                let window = settings.failOpenWindow
                state.holders = state.holders.filter { $0.value.open > 0 || instant - $0.value.lastSeen <= window }
            }
        }
    }

    /// Forgets the allowed answers of `user` and those about any of `topics` (cached, and kept for fail-open),
    /// so that the revoked clients' next streams ask the hook again (`POST /disconnect`).
    public func forget(user: String?, topics: Set<String>) {
        func revoked(_ verdict: AuthHookAnswer.Verdict, _ asked: [String]) -> Bool {
            guard case .allowed(_, _, let allowedUser) = verdict else { return false }
            return (user != nil && allowedUser == user) || asked.contains { topics.contains($0) }
        }
        state.withLock { state in
            state.cache = state.cache.filter { !revoked($0.value.answer.verdict, $0.value.topics) }
            state.holders = state.holders.filter { !revoked($0.value.decision.verdict, $0.value.topics) }
        }
    }

    private func ask(_ question: AuthHookQuestion) async throws -> Decision {
        let key = question.key
        do {
            let answer = try await caller.call(question)
            let answered = now()
            let decision = state.withLock { state in
                state.inFlight[key] = nil
                return remember(answer, for: key, topics: question.topics, answeredAt: answered, in: &state)
            }
            return decision
        } catch {
            state.withLock { state in
                state.inFlight[key] = nil
                state.counts.failures += 1
            }
            throw error
        }
    }

    private func remember(
        _ answer: AuthHookAnswer, for key: AuthHookQuestion.Key, topics: [String], answeredAt: ContinuousClock.Instant, in state: inout State
    ) -> Decision {
        var expiresAt: ContinuousClock.Instant?
        if case .allowed(_, let expiresIn?, _) = answer.verdict { expiresAt = answeredAt + expiresIn }
        let lifetime: Duration? = switch answer.caching {
        case .configured: settings.cacheTTL
        case .maxAge(let maxAge): maxAge
        case .never: nil
        }
        if let lifetime, lifetime > .zero {
            let full = state.cache.count >= settings.maxCachedAnswers
            // why: at the bound, sweep at most once a second, or a client rotating cookies would make every
            // answer walk the whole cache.
            if state.cache.count >= state.nextSweep || (full && state.lastFullSweep.map { answeredAt - $0 >= .seconds(1) } ?? true) {
                state.cache = state.cache.filter { $0.value.freshUntil > answeredAt }
                state.nextSweep = max(1024, state.cache.count * 2)
                if full { state.lastFullSweep = answeredAt }
            }
            if state.cache.count < settings.maxCachedAnswers {
                let freshUntil = expiresAt.map { min($0, answeredAt + lifetime) } ?? answeredAt + lifetime
                state.cache[key] = Entry(answer: answer, topics: topics, expiresAt: expiresAt, freshUntil: freshUntil)
            }
        }
        return Decision(verdict: answer.verdict, expiresAt: expiresAt, cached: false, failedOpen: false)
    }

    private func failOpen(_ question: AuthHookQuestion) -> Decision? {
        guard settings.failOpenForResumes, question.resuming else { return nil }
        return state.withLock { state -> Decision? in
            let instant = now()
            guard let holder = state.holders[question.key],
                  holder.open > 0 || instant - holder.lastSeen <= settings.failOpenWindow,
                  holder.decision.expiresAt.map({ $0 > instant }) ?? true
            else { return nil }
            state.counts.failedOpen += 1
            var decision = holder.decision
            decision.cached = false
            decision.failedOpen = true
            return decision
        }
    }
}
