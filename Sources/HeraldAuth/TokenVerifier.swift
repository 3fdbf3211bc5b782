import Foundation
import HeraldCore
import JWTKit
import Synchronization

/// What a verified token allows.
public struct VerifiedToken: Sendable {
    /// Topics the token may publish to (`herald.publish`).
    public var publish: [TopicPattern]
    /// Topics the token may read (`herald.subscribe`).
    public var subscribe: [TopicPattern]
    /// The token's `exp`, if it has one. A token without `exp` never expires.
    public var expiresAt: Date?
}

/// Verifies JWTs with one key (through jwt-kit) and checks their claims.
///
/// A token is accepted only if its `alg` header is one the key verifies (`alg: none` and an algorithm of
/// another family are refused before any signature check), its signature is valid, `exp` (if present) is not
/// past, `nbf` (if present) is not ahead, and — when configured — `aud` contains the audience and `iss` equals
/// the issuer. Topic patterns in the claims must parse, or the whole token is refused.
public final class TokenVerifier: Sendable {
    public let key: TokenKey
    public let audience: String?
    public let issuer: String?
    /// How far `exp` and `nbf` may be off. why: the clocks of the token issuer and of Herald differ by a
    /// little; 5 s keeps a fresh token from being "not yet valid" and barely extends an expired one.
    public let leeway: TimeInterval
    public static let defaultLeeway: TimeInterval = 5
    private let keys = Mutex<JWTKeyCollection?>(nil)

    public init(key: TokenKey, audience: String? = nil, issuer: String? = nil, leeway: TimeInterval = TokenVerifier.defaultLeeway) {
        self.key = key
        self.audience = audience
        self.issuer = issuer
        self.leeway = leeway
    }

    /// Verifies `token` at time `now`. Throws `AuthError.unauthorized` with the reason; never echoes the token.
    public func verify(_ token: String, now: Date = Date()) async throws(AuthError) -> VerifiedToken {
        let claims: HeraldClaims
        do {
            let header = try DefaultJWTParser().parse([UInt8](token.utf8), as: HeraldClaims.self).header
            let algorithm = header.alg ?? "none"
            guard key.algorithms.contains(algorithm) else {
                throw AuthError(.unauthorized, "the token is signed with \(algorithm.prefix(16)), but this key accepts \(key.algorithms.sorted().joined(separator: ", ")) only")
            }
            claims = try await collection().verify(token, as: HeraldClaims.self)
        } catch let error as AuthError {
            throw error
        } catch let error as JWTError where error.errorType == .signatureVerificationFailed {
            throw AuthError(.unauthorized, "the token signature is not valid for the configured key", underlying: error)
        } catch {
            throw AuthError(.unauthorized, "the token is malformed or its signature is not valid", underlying: error)
        }
        try check(claims, now: now)
        do {
            return VerifiedToken(
                publish: try (claims.herald?.publish ?? []).map { text throws(AuthError) in try TopicPattern(text) },
                subscribe: try (claims.herald?.subscribe ?? []).map { text throws(AuthError) in try TopicPattern(text) },
                expiresAt: claims.exp?.value
            )
        } catch {
            throw AuthError(.unauthorized, "the token's herald claim holds an invalid topic pattern: \(error.message)")
        }
    }

    private func check(_ claims: HeraldClaims, now: Date) throws(AuthError) {
        if let exp = claims.exp?.value, now.timeIntervalSince(exp) >= leeway {
            throw AuthError(.unauthorized, "the token expired at \(Int(exp.timeIntervalSince1970)) (exp); get a fresh token")
        }
        if let nbf = claims.nbf?.value, nbf.timeIntervalSince(now) > leeway {
            throw AuthError(.unauthorized, "the token is not valid before \(Int(nbf.timeIntervalSince1970)) (nbf)")
        }
        if let audience, !(claims.aud?.value.contains(audience) ?? false) {
            throw AuthError(.unauthorized, "the token's audience (aud) does not include \"\(audience)\"")
        }
        if let issuer, claims.iss?.value != issuer {
            throw AuthError(.unauthorized, "the token's issuer (iss) is not \"\(issuer)\"")
        }
    }

    /// The key collection, built on first use (jwt-kit's collection is an actor, built asynchronously).
    private func collection() async -> JWTKeyCollection {
        if let keys = keys.withLock({ $0 }) { return keys }
        let built = await key.collection()
        return keys.withLock { stored in
            if let stored { return stored }
            stored = built
            return built
        }
    }
}
