import Foundation
import JWTKit

/// The claims Herald reads from a token: the registered time, issuer and audience claims, and
/// `{"herald": {"publish": [...], "subscribe": [...]}}` listing topic patterns.
///
/// `verify(using:)` checks nothing: `TokenVerifier` checks the claims itself, with its clock and leeway.
struct HeraldClaims: JWTPayload {
    struct Grants: Codable, Sendable {
        var publish: [String]?
        var subscribe: [String]?
    }

    var exp: ExpirationClaim?
    var nbf: NotBeforeClaim?
    var iss: IssuerClaim?
    var aud: AudienceClaim?
    var herald: Grants?

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
