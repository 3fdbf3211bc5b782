import CryptoExtras
import Foundation
import HeraldAuth
import JWTKit

/// Keys and signed tokens for the verifier tests; RSA and EC keys are generated per run, no files needed.
struct TokenFactory {
    struct Claims: JWTPayload {
        struct Grants: Codable, Sendable {
            var publish: [String]?
            var subscribe: [String]?
        }

        var exp: ExpirationClaim?
        var nbf: NotBeforeClaim?
        var iss: IssuerClaim?
        var aud: AudienceClaim?
        var herald: Grants? = Grants(publish: ["orders/*"], subscribe: ["news"])

        func verify(using algorithm: some JWTAlgorithm) async throws {}

        static func valid() -> Claims {
            Claims(exp: .init(value: Date(timeIntervalSinceNow: 600)))
        }
    }

    static let secret = "test-secret-that-is-long-enough-0123456789"
    static let rsaPrivate = try! Insecure.RSA.PrivateKey(backing: _RSA.Signing.PrivateKey(keySize: .bits2048))
    static let ecPrivate = ES256PrivateKey()

    static var rsaPublicPEM: String { rsaPrivate.publicKey.pemRepresentation }
    static var ecPublicPEM: String { ecPrivate.publicKey.pemRepresentation }

    static func hmacVerifier(audience: String? = nil, issuer: String? = nil) -> TokenVerifier {
        TokenVerifier(key: try! .hmac(secret: secret), audience: audience, issuer: issuer)
    }

    static func rsaVerifier() throws -> TokenVerifier {
        TokenVerifier(key: try .publicKey(pem: rsaPublicPEM))
    }

    static func ecVerifier() throws -> TokenVerifier {
        TokenVerifier(key: try .publicKey(pem: ecPublicPEM))
    }

    static func hs256(_ claims: Claims = .valid(), secret: String = secret, header: JWTHeader = JWTHeader()) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        return try await keys.sign(claims, header: header)
    }

    static func rs256(_ claims: Claims = .valid()) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(rsa: rsaPrivate, digestAlgorithm: .sha256)
        return try await keys.sign(claims)
    }

    static func es256(_ claims: Claims = .valid()) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: ecPrivate)
        return try await keys.sign(claims)
    }

    /// An unsigned token: header `{"alg":"none"}` and an empty signature.
    static func unsigned(_ claims: Claims = .valid()) throws -> String {
        let header = Data(#"{"alg":"none","typ":"JWT"}"#.utf8)
        let payload = try JSONEncoder().encode(claims)
        return base64URL(header) + "." + base64URL(payload) + "."
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
