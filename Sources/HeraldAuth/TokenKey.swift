import Foundation
import JWTKit

/// The key that verifies tokens, read from a key setting: an HMAC secret, or a path to a PEM public key (RSA or
/// EC P-256).
///
/// The key fixes the algorithm family: an HMAC key accepts HS256 only, an RSA key RS256 only,
/// an EC key ES256 only. A setting is a PEM path when it names an existing readable file that starts with
/// `-----BEGIN`; anything else is taken as the secret itself.
public struct TokenKey: Sendable {
    enum Material: Sendable {
        case hmac(HMACKey)
        case rsa(Insecure.RSA.PublicKey)
        case ecdsa(ES256PublicKey)
    }

    let material: Material

    /// The `alg` header values this key verifies.
    public var algorithms: Set<String> {
        switch material {
        case .hmac: ["HS256"]
        case .rsa: ["RS256"]
        case .ecdsa: ["ES256"]
        }
    }

    /// A short name of the key kind for logs: `hmac`, `rsa` or `ec-p256`.
    public var kind: String {
        switch material {
        case .hmac: "hmac"
        case .rsa: "rsa"
        case .ecdsa: "ec-p256"
        }
    }

    init(material: Material) {
        self.material = material
    }

    /// The shortest accepted HMAC secret. why: RFC 7518 §3.2 requires a key at least as long as the hash
    /// output (32 bytes for HS256); jwt-kit asserts it too.
    public static let minimumSecretLength = 32

    /// An HMAC key from a shared secret of at least `minimumSecretLength` bytes.
    public static func hmac(secret: String) throws(AuthError) -> TokenKey {
        guard secret.utf8.count >= minimumSecretLength else {
            throw AuthError(.invalidConfiguration, "the HMAC secret has \(secret.utf8.count) bytes; use at least \(minimumSecretLength) (or a path to a PEM public key)")
        }
        return TokenKey(material: .hmac(HMACKey(from: secret)))
    }

    /// A public key from PEM text (`-----BEGIN PUBLIC KEY-----`, RSA or EC P-256, or an X.509 certificate).
    public static func publicKey(pem: String) throws(AuthError) -> TokenKey {
        if let rsa = try? Insecure.RSA.PublicKey(pem: pem) { return TokenKey(material: .rsa(rsa)) }
        if let ec = try? ES256PublicKey(pem: pem) { return TokenKey(material: .ecdsa(ec)) }
        if let rsa = try? Insecure.RSA.PublicKey(certificatePEM: pem) { return TokenKey(material: .rsa(rsa)) }
        if let ec = try? ES256PublicKey(certificate: pem) { return TokenKey(material: .ecdsa(ec)) }
        throw AuthError(.invalidConfiguration, "the PEM file holds no RSA or EC P-256 public key (private keys are not accepted; export the public key)")
    }

    /// Reads a key setting: a path to a PEM file, or an HMAC secret.
    ///
    /// A value that names a file that starts with `-----BEGIN` but holds no usable key throws, and so does a
    /// readable-looking path that cannot be read: a typo must not silently become a secret.
    public static func load(setting value: String) throws(AuthError) -> TokenKey {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: value, isDirectory: &isDirectory), !isDirectory.boolValue else {
            guard !value.hasSuffix(".pem") else {
                throw AuthError(.invalidConfiguration, "the key file \(value) does not exist")
            }
            return try hmac(secret: value)
        }
        guard let data = manager.contents(atPath: value) else {
            throw AuthError(.invalidConfiguration, "the key file \(value) cannot be read")
        }
        let text = String(decoding: data, as: UTF8.self)
        guard text.drop(while: \.isWhitespace).hasPrefix("-----BEGIN") else {
            throw AuthError(.invalidConfiguration, "the key file \(value) is not PEM (it does not start with -----BEGIN)")
        }
        return try publicKey(pem: text)
    }

    /// A key collection holding this key alone, as the only (default) key.
    func collection() async -> JWTKeyCollection {
        let keys = JWTKeyCollection()
        switch material {
        case .hmac(let key): await keys.add(hmac: key, digestAlgorithm: .sha256)
        case .rsa(let key): await keys.add(rsa: key, digestAlgorithm: .sha256)
        case .ecdsa(let key): await keys.add(ecdsa: key)
        }
        return keys
    }
}
