import Foundation
import JWTKit

/// Mints HS256 tokens with Herald's claims (`{"herald": {"subscribe": [...], "publish": [...]}}`), for
/// development and scripts (`herald token`); production tokens come from the application's own backend.
public enum DevelopmentToken {
    /// A token signed with the HMAC `secret` (the same setting as `--subscriber-jwt-key` /
    /// `--publisher-jwt-key`), granting the topic patterns given, valid from now for `lifetime`.
    public static func mint(
        secret: String, subscribe: [String], publish: [String], lifetime: Duration,
        audience: String? = nil, issuer: String? = nil
    ) async throws(AuthError) -> String {
        let key = try TokenKey.hmac(secret: secret)
        guard case .hmac(let hmac) = key.material else {
            throw AuthError(.invalidConfiguration, "only an HMAC secret can sign tokens here")
        }
        for pattern in subscribe + publish {
            _ = try TopicPattern(pattern)
        }
        let claims = HeraldClaims(
            exp: ExpirationClaim(value: Date(timeIntervalSinceNow: Double(lifetime.components.seconds))),
            nbf: nil,
            iss: issuer.map { IssuerClaim(value: $0) },
            aud: audience.map { AudienceClaim(value: [$0]) },
            herald: HeraldClaims.Grants(publish: publish.isEmpty ? nil : publish, subscribe: subscribe.isEmpty ? nil : subscribe)
        )
        let keys = JWTKeyCollection()
        await keys.add(hmac: hmac, digestAlgorithm: .sha256)
        do {
            return try await keys.sign(claims)
        } catch {
            throw AuthError(.invalidConfiguration, "the token could not be signed: \(error)")
        }
    }
}
