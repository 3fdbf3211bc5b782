import Foundation
import HeraldCore

/// Who may read which topics: anyone for topics matching `publicTopics`, holders of a JWT whose
/// `herald.subscribe` claim covers the topic for the others. Without a `verifier` (the application's auth
/// hook decides instead, in HeraldHTTP), no token can be checked and every token is refused.
///
/// A token that is presented is always verified, also for public topics: an expired or forged token gets 401,
/// never a silent anonymous session.
public struct SubscriberAuth: Sendable {
    public let verifier: TokenVerifier?
    public let publicTopics: [TopicPattern]

    public init(verifier: TokenVerifier?, publicTopics: [TopicPattern]) {
        self.verifier = verifier
        self.publicTopics = publicTopics
    }

    /// True when `topics` may be read anonymously, without verifying anything (the cheap path).
    public func allowsAnonymously(_ topics: [Topic]) -> Bool {
        topics.allSatisfy { publicTopics.covers($0) }
    }

    /// Checks `token` (from `source`, e.g. "the access_token query parameter", for messages) against `topics`.
    /// Returns how long the stream may stay open: until the token's `exp` plus the verifier's leeway (the moment
    /// from which a reconnect with the same token gets 401) if a private topic needed the token, else nil.
    public func authorize(token: String?, source: String, topics: [Topic], now: Date = Date()) async throws(AuthError) -> Duration? {
        guard let token else {
            if let refused = topics.first(where: { !publicTopics.covers($0) }) {
                throw AuthError(.unauthorized, "\(refused) is not a public topic; send a token (Authorization: Bearer, the access_token query parameter, or the auth cookie)")
            }
            return nil
        }
        guard let verifier else {
            throw AuthError(.unauthorized, "the token from \(source) cannot be checked: this node has no --subscriber-jwt-key")
        }
        let verified: VerifiedToken
        do {
            verified = try await verifier.verify(token, now: now)
        } catch {
            throw AuthError(error.code, "the token from \(source) was rejected: \(error.message)", underlying: error)
        }
        var needsToken = false
        for topic in topics where !publicTopics.covers(topic) {
            guard verified.subscribe.covers(topic) else {
                throw AuthError(.forbiddenTopic, "the token may not read \(topic) (its herald.subscribe claim does not cover it)", topic: topic.name)
            }
            needsToken = true
        }
        guard needsToken, let expiresAt = verified.expiresAt else { return nil }
        let remaining = max(0, expiresAt.addingTimeInterval(verifier.leeway).timeIntervalSince(now))
        return .milliseconds(Int64(remaining * 1000))
    }
}
