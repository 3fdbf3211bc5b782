import HeraldAuth
import HeraldCore
import HeraldHooks
import NIOHTTP1

/// Who may publish: the static API key and publisher JWTs (`PublisherAuth`), then the application's auth
/// hook (`--publish-auth-url`) for a request whose credential those do not accept.
///
/// A credential they accept decides alone (a JWT that does not cover a topic is refused 403 without asking
/// the hook); a request without one, or with one they reject, is asked of the hook when there is one, else
/// refused 401. Built only when one of them is configured; without both, publishing is open.
struct PublishAuthorization: Sendable {
    /// What a publisher may publish to, once known.
    enum Grant: Sendable {
        case credential(PublisherAuth.Grant)
        /// The hook allowed these topics (nil: every topic it was asked about, which are `asked`).
        case hook(allowed: Set<String>)

        /// Throws `forbiddenTopic` naming the first of `topics` not granted.
        func authorize(_ topics: [Topic]) throws(AuthError) {
            switch self {
            case .credential(let grant):
                try grant.authorize(topics)
            case .hook(let allowed):
                if let refused = topics.first(where: { !allowed.contains($0.name) }) {
                    throw AuthError(.forbiddenTopic, "the application's auth hook does not allow publishing to \(refused); nothing more was stored", topic: refused.name)
                }
            }
        }
    }

    let publisher: PublisherAuth?
    let hook: AuthHook?

    /// The grant of the API key at once, when the request carries it; nil when a check must wait.
    func immediateGrant(bearer: String?) -> Grant? {
        publisher?.apiKeyGrant(bearer: bearer).map(Grant.credential)
    }

    /// Checks the request's credential, else asks the hook whether its client may publish to `topics`
    /// (a streaming publish asks about its `?topic=`, the one topic its lines may then use).
    func grant(for topics: [Topic], head: HTTPRequestHead, client: String?) async throws -> Grant {
        let bearer = BearerCredentials.authorizationHeader(head.headers)
        guard let hook else {
            // why: built only when one of the two is configured, so without a hook there is a publisher check.
            guard let publisher else { return .credential(.everything) }
            return .credential(try await publisher.authenticate(bearer: bearer))
        }
        if let publisher, let grant = try? await publisher.authenticate(bearer: bearer) {
            return .credential(grant)
        }
        // A missing or rejected credential: the hook decides (it may know the application's own tokens).
        guard !topics.isEmpty else {
            throw EdgeError(.missingTopic, "a streaming publish allowed by the application's auth hook names its topic in ?topic=; its lines publish to that topic")
        }
        let question = AuthHookQuestion(
            action: .publish, topics: topics.map(\.name), clientAddress: client,
            headers: StreamAuthorization.forwarded(hook.settings.forwardedHeaders, from: head.headers)
        )
        switch try await hook.decide(question).verdict {
        case .refused(let unauthorized, let reason):
            let why = reason.map { ": \($0)" } ?? ""
            throw unauthorized
                ? AuthError(.unauthorized, "publishing needs a credential, and the application's auth hook did not recognize the request's\(why)")
                : AuthError(.forbidden, "the application's auth hook refused this publish\(why)")
        case .allowed(let allowed, _, _):
            return .hook(allowed: allowed ?? Set(question.topics))
        }
    }
}
