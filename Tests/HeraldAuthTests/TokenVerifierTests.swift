import Foundation
import HeraldAuth
import HeraldCore
import JWTKit
import Testing

/// Each rejection is checked against a token that differs from an accepted one in that one respect only.
@Suite("Token verification", .timeLimit(.minutes(1)))
struct TokenVerifierTests {
    typealias Claims = TokenFactory.Claims

    func expectRejected(_ verifier: TokenVerifier, _ token: String, mentioning hint: String, now: Date = Date()) async {
        do {
            _ = try await verifier.verify(token, now: now)
            Issue.record("the token was accepted")
        } catch {
            #expect(error.code == .unauthorized)
            #expect(error.message.contains(hint), "\(error.message)")
            #expect(!error.message.contains(token))
        }
    }

    @Test("valid HS256, RS256 and ES256 tokens are accepted with their topic grants")
    func valid() async throws {
        let cases: [(TokenVerifier, String)] = [
            (TokenFactory.hmacVerifier(), try await TokenFactory.hs256()),
            (try TokenFactory.rsaVerifier(), try await TokenFactory.rs256()),
            (try TokenFactory.ecVerifier(), try await TokenFactory.es256()),
        ]
        for (verifier, token) in cases {
            let verified = try await verifier.verify(token)
            #expect(verified.publish.covers(try Topic("orders/1")))
            #expect(verified.subscribe.covers(try Topic("news")))
            #expect(!verified.subscribe.covers(try Topic("orders/1")))
            #expect(verified.expiresAt != nil)
        }
    }

    @Test("a token with alg none is rejected")
    func algNone() async throws {
        await expectRejected(TokenFactory.hmacVerifier(), try TokenFactory.unsigned(), mentioning: "none")
        await expectRejected(try TokenFactory.rsaVerifier(), try TokenFactory.unsigned(), mentioning: "none")
    }

    @Test("an HS256 token signed with the RSA public key as the secret is rejected by the RSA key")
    func hmacWithPublicKeyAsSecret() async throws {
        let forged = try await TokenFactory.hs256(secret: TokenFactory.rsaPublicPEM)
        await expectRejected(try TokenFactory.rsaVerifier(), forged, mentioning: "HS256")
    }

    @Test("an RS256 or ES256 token is rejected by an HMAC key")
    func asymmetricAgainstHMAC() async throws {
        await expectRejected(TokenFactory.hmacVerifier(), try await TokenFactory.rs256(), mentioning: "RS256")
        await expectRejected(TokenFactory.hmacVerifier(), try await TokenFactory.es256(), mentioning: "ES256")
        await expectRejected(try TokenFactory.rsaVerifier(), try await TokenFactory.es256(), mentioning: "ES256")
    }

    @Test("a header alg that differs from the key's is rejected even when the signature matches the key")
    func mislabelledAlgorithm() async throws {
        let token = try await TokenFactory.hs256(header: ["alg": "RS256"])
        await expectRejected(TokenFactory.hmacVerifier(), token, mentioning: "RS256")
    }

    @Test("a bad signature is rejected")
    func badSignature() async throws {
        let other = try await TokenFactory.hs256(secret: "another-secret-that-is-long-enough-0123456789")
        await expectRejected(TokenFactory.hmacVerifier(), other, mentioning: "signature")
        let token = try await TokenFactory.rs256()
        let tampered = String(token.dropLast(4)) + (token.hasSuffix("AAAA") ? "BBBB" : "AAAA")
        await expectRejected(try TokenFactory.rsaVerifier(), tampered, mentioning: "signature")
        let swapped = try await TokenFactory.es256()
        var parts = swapped.split(separator: ".").map(String.init)
        parts[1] = TokenFactory.base64URL(try JSONEncoder().encode(Claims(exp: .init(value: Date(timeIntervalSinceNow: 600)), herald: .init(publish: ["*"]))))
        await expectRejected(try TokenFactory.ecVerifier(), parts.joined(separator: "."), mentioning: "signature")
    }

    @Test("an expired token is rejected; within the leeway it is still accepted")
    func expired() async throws {
        let token = try await TokenFactory.hs256(Claims(exp: .init(value: Date(timeIntervalSinceNow: -60))))
        await expectRejected(TokenFactory.hmacVerifier(), token, mentioning: "expired")
        let recent = try await TokenFactory.hs256(Claims(exp: .init(value: Date(timeIntervalSinceNow: -1))))
        _ = try await TokenFactory.hmacVerifier().verify(recent)
    }

    @Test("a token that is not yet valid (nbf ahead) is rejected")
    func notYetValid() async throws {
        var claims = Claims.valid()
        claims.nbf = .init(value: Date(timeIntervalSinceNow: 120))
        await expectRejected(TokenFactory.hmacVerifier(), try await TokenFactory.hs256(claims), mentioning: "nbf")
        claims.nbf = .init(value: Date(timeIntervalSinceNow: -1))
        _ = try await TokenFactory.hmacVerifier().verify(try await TokenFactory.hs256(claims))
    }

    @Test("a wrong or missing audience is rejected when an audience is configured")
    func audience() async throws {
        var claims = Claims.valid()
        let verifier = TokenFactory.hmacVerifier(audience: "herald")
        await expectRejected(verifier, try await TokenFactory.hs256(claims), mentioning: "aud")
        claims.aud = .init(value: ["billing"])
        await expectRejected(verifier, try await TokenFactory.hs256(claims), mentioning: "aud")
        claims.aud = .init(value: ["billing", "herald"])
        _ = try await verifier.verify(try await TokenFactory.hs256(claims))
    }

    @Test("a wrong or missing issuer is rejected when an issuer is configured")
    func issuer() async throws {
        var claims = Claims.valid()
        let verifier = TokenFactory.hmacVerifier(issuer: "https://auth.example")
        await expectRejected(verifier, try await TokenFactory.hs256(claims), mentioning: "iss")
        claims.iss = .init(value: "https://evil.example")
        await expectRejected(verifier, try await TokenFactory.hs256(claims), mentioning: "iss")
        claims.iss = .init(value: "https://auth.example")
        _ = try await verifier.verify(try await TokenFactory.hs256(claims))
    }

    @Test("a token without exp is accepted and never expires")
    func noExpiry() async throws {
        let verified = try await TokenFactory.hmacVerifier().verify(try await TokenFactory.hs256(Claims()))
        #expect(verified.expiresAt == nil)
    }

    @Test("garbage is rejected without echoing it")
    func garbage() async {
        await expectRejected(TokenFactory.hmacVerifier(), "not-a-jwt", mentioning: "malformed")
    }
}
