import Foundation
import HeraldAuth
import Testing

@Suite("Token keys", .timeLimit(.minutes(1)))
struct TokenKeyTests {
    func write(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("herald-key-\(UUID().uuidString).pem").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("a setting that is not a file is an HMAC secret")
    func secret() throws {
        #expect(try TokenKey.load(setting: "a-shared-secret-of-at-least-32-bytes").algorithms == ["HS256"])
    }

    @Test("an HMAC secret shorter than 32 bytes is refused")
    func shortSecret() {
        #expect(throws: AuthError.self) { try TokenKey.load(setting: "short") }
    }

    @Test("a PEM path loads an RSA or EC public key, which fixes the algorithm")
    func pemFiles() throws {
        let rsa = try write(TokenFactory.rsaPublicPEM)
        let ec = try write(TokenFactory.ecPublicPEM)
        defer { try? FileManager.default.removeItem(atPath: rsa); try? FileManager.default.removeItem(atPath: ec) }
        #expect(try TokenKey.load(setting: rsa).algorithms == ["RS256"])
        #expect(try TokenKey.load(setting: ec).algorithms == ["ES256"])
    }

    @Test("a malformed PEM file, a file that is not PEM and a missing .pem path are refused")
    func badFiles() throws {
        let malformed = try write("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
        let notPEM = try write("hello")
        defer { try? FileManager.default.removeItem(atPath: malformed); try? FileManager.default.removeItem(atPath: notPEM) }
        #expect(throws: AuthError.self) { try TokenKey.load(setting: malformed) }
        #expect(throws: AuthError.self) { try TokenKey.load(setting: notPEM) }
        #expect(throws: AuthError.self) { try TokenKey.load(setting: "/nonexistent/key.pem") }
    }
}
