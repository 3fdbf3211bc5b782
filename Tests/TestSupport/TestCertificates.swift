import Crypto
import Foundation
import NIOSSL
import SwiftASN1
import X509

/// A certificate authority made for one test, and the server certificates it issues, written as PEM files
/// the way an operator hands them to Herald (`--tls-cert`, `--tls-key`). Clients trust `authority` only.
package struct TestCertificateAuthority: Sendable {
    /// A server certificate and its key as PEM files.
    package struct Issued: Sendable {
        /// The server's certificate followed by the authority's (a chain, as certbot writes fullchain.pem).
        package var chainPath: String
        package var keyPath: String
        package var serial: Certificate.SerialNumber
        /// The base64 SHA-256 of the certificate's SubjectPublicKeyInfo, what Chromium's
        /// `--ignore-certificate-errors-spki-list` takes to trust exactly this certificate.
        package var publicKeyPin: String
    }

    private let key: Certificate.PrivateKey
    package let certificate: Certificate
    private let directory: String

    /// A new authority whose files go to `directory`.
    package init(directory: String, name: String = "Herald test CA") throws {
        self.directory = directory
        key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let subject = try DistinguishedName { CommonName(name) }
        let now = Date()
        certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: key.publicKey,
            notValidBefore: now - 3600, notValidAfter: now + 86_400, issuer: subject, subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: key
        )
    }

    /// The authority's certificate as PEM, for a client's trust roots.
    package var pem: String {
        get throws { try certificate.serializeAsPEM().pemString }
    }

    /// The authority's certificate as a trust root for a NIOSSL client.
    package var trustRoots: NIOSSLTrustRoots {
        get throws { .certificates([try NIOSSLCertificate(bytes: Array(pem.utf8), format: .pem)]) }
    }

    /// Writes `issued`'s chain and key the way balancers read them: `fullchain.pem` and `privkey.pem` (nginx,
    /// certbot's names) and both in `haproxy.pem` (HAProxy's `crt`), in `directory`.
    package func writeForBalancers(_ issued: Issued, to directory: String) throws {
        let chain = try String(contentsOfFile: issued.chainPath, encoding: .utf8)
        let key = try String(contentsOfFile: issued.keyPath, encoding: .utf8)
        try chain.write(toFile: directory + "/fullchain.pem", atomically: true, encoding: .utf8)
        try key.write(toFile: directory + "/privkey.pem", atomically: true, encoding: .utf8)
        try (chain + key).write(toFile: directory + "/haproxy.pem", atomically: true, encoding: .utf8)
    }

    /// Issues a certificate for `localhost` and 127.0.0.1 (and `hosts`), valid from `notBefore` to `notAfter`
    /// (default: an hour ago to a day from now), and writes it with a new key as `<name>.pem` and `<name>.key`.
    package func issue(
        _ name: String, hosts: [String] = [], notBefore: Date = Date() - 3600, notAfter: Date = Date() + 86_400
    ) throws -> Issued {
        let signingKey = P256.Signing.PrivateKey()
        let serverKey = Certificate.PrivateKey(signingKey)
        let serial = Certificate.SerialNumber()
        let server = try Certificate(
            version: .v3, serialNumber: serial, publicKey: serverKey.publicKey,
            notValidBefore: notBefore, notValidAfter: notAfter, issuer: certificate.subject,
            subject: try DistinguishedName { CommonName(name) }, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(
                    [.dnsName("localhost"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))] + hosts.map { .dnsName($0) }
                )
            },
            issuerPrivateKey: key
        )
        let pin = Data(SHA256.hash(data: signingKey.publicKey.derRepresentation)).base64EncodedString()
        let issued = Issued(chainPath: "\(directory)/\(name).pem", keyPath: "\(directory)/\(name).key", serial: serial, publicKeyPin: pin)
        try (try server.serializeAsPEM().pemString + "\n" + pem + "\n").write(toFile: issued.chainPath, atomically: true, encoding: .utf8)
        try (try serverKey.serializeAsPEM().pemString + "\n").write(toFile: issued.keyPath, atomically: true, encoding: .utf8)
        return issued
    }
}
