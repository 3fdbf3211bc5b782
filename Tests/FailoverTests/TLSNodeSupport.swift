import Foundation
import HeraldWire
import NIOCore
import NIOSSL
import TestSupport

/// What the tests of nodes serving TLS share: a scratch directory with an authority and a node certificate,
/// a client that trusts it, and requests over TLS (after a PROXY header for nodes behind the PROXY protocol).
struct TLSNodeSupport {
    let directory: String
    let authority: TestCertificateAuthority
    let pair: TestCertificateAuthority.Issued
    let client: TLSConfiguration

    init(name: String) throws {
        directory = NSTemporaryDirectory() + "herald-\(name)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        authority = try TestCertificateAuthority(directory: directory)
        pair = try authority.issue("node")
        var client = TLSConfiguration.makeClientConfiguration()
        client.trustRoots = try authority.trustRoots
        self.client = client
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// `--tls-cert` and `--tls-key` for a node.
    var nodeArguments: [String] { ["--tls-cert", pair.chainPath, "--tls-key", pair.keyPath] }

    /// Sends `request` (HTTP/1.1 text, `\r\n` line ends) over TLS to `port` and returns the whole answer; with
    /// `proxied`, a PROXY v2 header naming 127.0.0.1 goes first. Empty when there is no answer within 5 s.
    static func exchange(port: Int, tls: TLSConfiguration, proxied: Bool = false, _ request: String) async -> String {
        let header = proxied ? ProxyHeader(
            source: try? SocketAddress(ipAddress: "127.0.0.1", port: 1), destination: try? SocketAddress(ipAddress: "127.0.0.1", port: port), length: 0
        ).version2() : nil
        guard let connection = try? await RawConnection.connect(port: port, tls: tls, preamble: header) else { return "" }
        try? await connection.send(request)
        return (try? await connection.receivedUntilClosed(timeout: .seconds(5))) ?? connection.received
    }

    /// A node's readiness over TLS (behind the PROXY protocol with `proxied`), for `HeraldNodeProcess`.
    func readiness(proxied: Bool) -> @Sendable (Int) async -> Int? {
        let client = client
        return { port in
            let answer = await Self.exchange(port: port, tls: client, proxied: proxied, "GET /readyz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            return answer.hasPrefix("HTTP/1.1 200") ? 200 : nil
        }
    }

    /// Publishes `data` to `topic` over TLS; returns the answer.
    static func publish(port: Int, tls: TLSConfiguration, proxied: Bool = false, topic: String, data: String) async -> String {
        let body = "topic=\(topic)&data=\(data)"
        return await exchange(
            port: port, tls: tls, proxied: proxied,
            "POST /publish HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: \(body.utf8.count)\r\nconnection: close\r\n\r\n\(body)"
        )
    }
}
