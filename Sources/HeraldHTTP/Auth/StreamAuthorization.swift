import HeraldAuth
import HeraldCore
import HeraldHooks
import NIOHTTP1

/// Who may open an event stream: public topics for anyone, then a subscriber JWT, then the application's
/// auth hook (`--subscribe-auth-url`) for the private topics a token did not open.
///
/// Order: a request whose token verifies skips the hook (a token that verifies but does not cover a topic
/// is refused 403, as without a hook); a request without a token, or whose token does not verify, is asked
/// of the hook when there is one (the hook may know the application's own bearer tokens), else refused
/// 401. The hook is asked only about the topics that are not public.
struct StreamAuthorization: Sendable {
    /// What a stream was allowed with.
    struct Grant: Sendable {
        /// How long the stream may stay open (a token's `exp`, the hook's `expires_in`); nil: no limit.
        var openFor: Duration?
        /// Who the hook said the client is.
        var user: String?
        /// The hook's question and decision, for fail-open bookkeeping while the stream is open.
        var hook: (key: AuthHookQuestion.Key, decision: AuthHook.Decision)?
    }

    let subscriber: SubscriberAuth
    let hook: AuthHook?

    func authorize(
        _ request: StreamRequest, head: HTTPRequestHead, credentials: BearerCredentials, client: String?
    ) async throws -> Grant {
        guard let hook else {
            return Grant(openFor: try await subscriber.authorize(token: credentials.token, source: credentials.source, topics: request.topics))
        }
        let privateTopics = request.topics.filter { !subscriber.publicTopics.covers($0) }
        if credentials.token != nil, subscriber.verifier != nil {
            do {
                return Grant(openFor: try await subscriber.authorize(token: credentials.token, source: credentials.source, topics: request.topics))
            } catch let error where error.code == .forbiddenTopic || privateTopics.isEmpty {
                // why: a token that fails for public topics alone is still refused, never read as an anonymous stream.
                throw error
            } catch {
                // A token that does not verify, for private topics: the hook decides (it may be the application's own).
            }
        }
        guard !privateTopics.isEmpty else { return Grant() }
        let question = AuthHookQuestion(
            action: .subscribe, topics: privateTopics.map(\.name), resuming: request.start.contains { $0 != nil },
            clientAddress: client, headers: Self.forwarded(hook.settings.forwardedHeaders, from: head.headers)
        )
        let decision = try await hook.decide(question)
        switch decision.verdict {
        case .refused(let unauthorized, let reason):
            let why = reason.map { ": \($0)" } ?? ""
            throw unauthorized
                ? AuthError(.unauthorized, "the application's auth hook did not recognize the request's credentials\(why)")
                : AuthError(.forbidden, "the application's auth hook refused this stream\(why)")
        case .allowed(let topics, _, let user):
            if let topics, let refused = privateTopics.first(where: { !topics.contains($0.name) }) {
                throw AuthError(.forbiddenTopic, "the application's auth hook does not allow \(refused)", topic: refused.name)
            }
            let openFor = decision.expiresAt.map { max(.zero, $0 - .now) }
            return Grant(openFor: openFor, user: user, hook: (question.key, decision))
        }
    }

    /// The headers of `headers` named in `names` (lowercased), in that order, each value as sent.
    static func forwarded(_ names: [String], from headers: HTTPHeaders) -> [(name: String, value: String)] {
        names.flatMap { name in headers[name].map { (name: name, value: $0) } }
    }
}
