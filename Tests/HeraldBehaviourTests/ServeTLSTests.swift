import Foundation
import NIOSSL
import TestSupport
import Testing

/// `herald serve` with TLS, as an operator runs it: pairs that cannot serve stop startup with a message naming
/// the setting, and SIGHUP serves a renewed certificate without dropping an open stream.
@Suite("herald serve with TLS", .timeLimit(.minutes(1)))
struct ServeTLSTests {
    static let binary = ServeCommandTests.binary

    func scratch() throws -> (String, TestCertificateAuthority) {
        let directory = NSTemporaryDirectory() + "herald-serve-tls-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return (directory, try TestCertificateAuthority(directory: directory))
    }

    /// Runs `herald serve arguments` to its end (bounded) and returns its exit state and output.
    func serve(_ arguments: [String]) throws -> (ChildProcess.State?, String) {
        let log = NSTemporaryDirectory() + "herald-\(UUID().uuidString).log"
        defer { try? FileManager.default.removeItem(atPath: log) }
        let pid = try ChildProcess.spawn(Self.binary, ["herald", "serve", "--host", "127.0.0.1", "--port", "0"] + arguments, logPath: log)
        let state = ChildProcess.waitForExit(pid, timeout: 20)
        if state == nil { ChildProcess.terminate(pid) }
        return (state, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }

    @Test("an unreadable, mismatched or expired pair, or half a pair, stops startup naming the setting")
    func startupRefusals() throws {
        let (directory, authority) = try scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let good = try authority.issue("good")
        let other = try authority.issue("other")
        let expired = try authority.issue("expired", notBefore: Date() - 7200, notAfter: Date() - 60)
        let cases: [([String], String)] = [
            (["--tls-cert", directory + "/missing.pem", "--tls-key", good.keyPath], "--tls-cert / HERALD_TLS_CERT: cannot read"),
            (["--tls-cert", good.chainPath, "--tls-key", other.keyPath], "does not belong to the certificate"),
            (["--tls-cert", expired.chainPath, "--tls-key", expired.keyPath], "expired on"),
            (["--tls-cert", good.chainPath], "--tls-cert / HERALD_TLS_CERT and --tls-key / HERALD_TLS_KEY go together"),
            (["--publish-tls-cert", good.chainPath, "--publish-tls-key", good.keyPath], "applies to the separate publish listener"),
            (["--trusted-proxies", "10.0.0.0/8,example.com"], "\"example.com\" is not an IP address or CIDR network"),
            (["--client-address-header", "x-real-ip", "--trusted-proxies", "10.0.0.1"], "is not x-forwarded-for or forwarded"),
        ]
        for (arguments, message) in cases {
            let (state, output) = try serve(arguments)
            #expect(state != .exited(0) && state != nil, "\(arguments) started")
            #expect(output.contains(message), "\(arguments): \(output)")
        }
    }

    @Test("SIGHUP serves a renewed certificate to new connections while an open stream goes on")
    func sighupReloads() async throws {
        let (directory, authority) = try scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try authority.issue("node")
        var client = TLSConfiguration.makeClientConfiguration()
        client.trustRoots = try authority.trustRoots
        let tls = client
        let node = HeraldNodeProcess(
            name: "tls", port: try await LoopbackPort.free(), arguments: ["--tls-cert", first.chainPath, "--tls-key", first.keyPath],
            logDirectory: directory,
            readiness: { port in
                guard let connection = try? await RawConnection.connect(port: port, tls: tls) else { return nil }
                try? await connection.send("GET /readyz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
                return ((try? await connection.receivedUntilClosed(timeout: .seconds(2))) ?? "").hasPrefix("HTTP/1.1 200") ? 200 : nil
            }
        )
        try await node.start()
        defer { node.stop() }
        let stream = try await RawConnection.connect(port: node.port, tls: client)
        try await stream.send("GET /events?topic=renewal HTTP/1.1\r\nhost: x\r\n\r\n")
        let renewed = try authority.issue("renewed")
        for (from, to) in [(renewed.chainPath, first.chainPath), (renewed.keyPath, first.keyPath)] {
            try FileManager.default.removeItem(atPath: to)
            try FileManager.default.copyItem(atPath: from, toPath: to)
        }
        kill(try #require(node.pid), SIGHUP)
        var served: [UInt8] = []
        for _ in 0..<200 {
            let probe = try await RawConnection.connect(port: node.port, tls: client)
            try await probe.send("GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            _ = try await probe.receivedUntilClosed(timeout: .seconds(5))
            served = Array((try await probe.peerCertificate()?.serialNumber ?? []).drop(while: { $0 == 0 }))
            if served == Array(renewed.serial.bytes.drop(while: { $0 == 0 })) { break }
            try await Task.sleep(for: .milliseconds(25))
        }
        #expect(served == Array(renewed.serial.bytes.drop(while: { $0 == 0 })), "the renewed certificate is served after SIGHUP\n\(node.logTail())")
        #expect(node.log().contains("tls certificate reloaded"), "\(node.logTail())")
        let body = "topic=renewal&data=after-sighup"
        let publisher = try await RawConnection.connect(port: node.port, tls: client)
        try await publisher.send("POST /publish HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: \(body.utf8.count)\r\nconnection: close\r\n\r\n\(body)")
        _ = try await publisher.receivedUntilClosed(timeout: .seconds(5))
        for _ in 0..<500 where !stream.received.contains("after-sighup") { try await Task.sleep(for: .milliseconds(10)) }
        #expect(stream.isOpen && stream.received.contains("data: after-sighup"), "the open stream kept going: \(stream.received)")
        #expect(node.pid != nil, "SIGHUP does not stop the node")
        await stream.close()
    }
}
