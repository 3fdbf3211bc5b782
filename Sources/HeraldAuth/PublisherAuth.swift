import HeraldCore

/// Who may publish: holders of a JWT whose `herald.publish` claim covers the topic, or of the static API key
/// (every topic). Built only when at least one of the two is configured; without it publishing is open.
public struct PublisherAuth: Sendable {
    /// What an authenticated publisher may publish to.
    public struct Grant: Sendable {
        /// nil: every topic (the API key).
        let patterns: [TopicPattern]?

        /// Every topic.
        public static let everything = Grant(patterns: nil)

        /// Whether the grant covers every topic: the API key, or a token whose claim holds `*`.
        public var coversEveryTopic: Bool {
            patterns.map { $0.contains(TopicPattern.everything) } ?? true
        }

        /// Throws `forbiddenTopic` naming the first topic of `topics` the grant does not cover.
        public func authorize(_ topics: [Topic]) throws(AuthError) {
            guard let patterns else { return }
            for topic in topics where !patterns.covers(topic) {
                throw AuthError(.forbiddenTopic, "the token may not publish to \(topic) (its herald.publish claim does not cover it); nothing was stored", topic: topic.name)
            }
        }
    }

    public let verifier: TokenVerifier?
    private let apiKey: [UInt8]?

    public init(verifier: TokenVerifier?, apiKey: String?) {
        precondition(verifier != nil || apiKey != nil, "publisher auth needs a JWT key or an API key")
        self.verifier = verifier
        self.apiKey = apiKey.map { Array($0.utf8) }
    }

    /// Checks the `Authorization: Bearer` credential: the API key (compared in constant time) or a JWT.
    /// Throws `unauthorized` for a missing or rejected credential.
    public func authenticate(bearer: String?) async throws(AuthError) -> Grant {
        guard let bearer, !bearer.isEmpty else {
            throw AuthError(.unauthorized, "publishing needs a credential: send Authorization: Bearer <token or API key>")
        }
        if let grant = apiKeyGrant(bearer: bearer) {
            return grant
        }
        guard let verifier else {
            throw AuthError(.unauthorized, "the API key in the Authorization header is not valid")
        }
        return Grant(patterns: try await verifier.verify(bearer).publish)
    }

    /// The grant of `bearer` when it is the API key; nil otherwise (no credential, or a JWT to verify with
    /// `authenticate(bearer:)`). Lets the edge admit API-key publishers without waiting.
    public func apiKeyGrant(bearer: String?) -> Grant? {
        guard let apiKey, let bearer, Self.constantTimeEquals(Array(bearer.utf8), apiKey) else { return nil }
        return Grant(patterns: nil)
    }

    /// Compares in time that depends on the lengths only, not on where the bytes differ.
    static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(lhs, rhs) { difference |= a ^ b }
        return difference == 0
    }
}
