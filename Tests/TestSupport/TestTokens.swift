import Foundation
import HeraldAuth
import JWTKit

/// Signs test JWTs with Herald's claim layout, for the auth tests of the HTTP edge.
package enum TestTokens {
    struct Claims: JWTPayload {
        struct Grants: Codable, Sendable {
            var publish: [String]?
            var subscribe: [String]?
        }

        var exp: ExpirationClaim?
        var herald: Grants

        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    /// An HS256 token signed with `secret`, granting `publish`/`subscribe`, expiring `expiresIn` from now.
    package static func hs256(
        secret: String = TestTokens.secret,
        publish: [String]? = nil,
        subscribe: [String]? = nil,
        expiresIn: TimeInterval? = 600
    ) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        let claims = Claims(
            exp: expiresIn.map { ExpirationClaim(value: Date(timeIntervalSinceNow: $0)) },
            herald: .init(publish: publish, subscribe: subscribe)
        )
        return try await keys.sign(claims)
    }
}

extension TestTokens {
    /// The HMAC secret of `authorizer` (at least 32 bytes, as Herald requires).
    package static let secret = "herald-http-test-secret-0123456789abcdef"

    /// Publisher and subscriber auth with HS256 tokens signed by `secret`, the given public topics, and no leeway
    /// (so that expiry tests need not wait for it).
    package static func authorizer(publisher: Bool = true, apiKey: String? = nil, subscriber: Bool = true, publicTopics: String? = nil, cookie: String = Authorizer.defaultCookieName) throws -> Authorizer {
        let verifier = TokenVerifier(key: try TokenKey.hmac(secret: secret), leeway: 0)
        return Authorizer(
            publisher: publisher || apiKey != nil ? PublisherAuth(verifier: publisher ? verifier : nil, apiKey: apiKey) : nil,
            subscriber: subscriber ? SubscriberAuth(verifier: verifier, publicTopics: try publicTopics.map { try TopicPattern.list($0) } ?? []) : nil,
            cookieName: cookie
        )
    }
}
