import Foundation
import HeraldWire
import NIOCore
import NIOSSL
import TestSupport
import Testing

/// The client's address through a real HAProxy, with clients on different loopback addresses (127.0.0.2,
/// 127.0.0.3): the shipped HTTP-mode config with `X-Forwarded-For` and `--trusted-proxies`, and the shipped
/// TCP-mode config (`deploy/haproxy-tcp.cfg`: PROXY protocol v2 in front of TLS nodes) with `--proxy-protocol`.
/// The per-address limit must count each client, not the balancer.
@Suite(
    "Client addresses through HAProxy",
    .enabled(if: RedisServerProcess.isRequired || LoadBalancerProcess.executable(.haproxy) != nil),
    .timeLimit(.minutes(2))
)
struct BalancerClientAddressTests {
    static let limit = 2

    /// What became of a stream request: open (head and `retry:` only) or refused (a retry stream naming why).
    struct Attempt {
        let connection: RawConnection

        var refused: Bool { connection.received.contains("herald.unavailable") }
    }

    /// Asks for a stream through the balancer from `source`; returns once the node answered.
    static func stream(port: Int, from source: String, headers: String = "", tls: TLSConfiguration? = nil) async throws -> Attempt {
        let connection = try await RawConnection.connect(port: port, source: source, tls: tls)
        try await connection.send("GET /events?topic=t HTTP/1.1\r\nhost: herald\r\n\(headers)\r\n")
        // why: the head and `retry:` (and for a refusal its event, in the same write) come once the node
        // answered; 10 s bounds a hung balancer.
        for _ in 0..<1000 where !connection.received.contains("retry:") { try await Task.sleep(for: .milliseconds(10)) }
        try await Task.sleep(for: .milliseconds(50))
        return Attempt(connection: connection)
    }

    /// Waits (bounded) until a request through the balancer reaches a ready node.
    static func waitUntilRouted(_ balancer: LoadBalancerProcess, probe: () async -> Bool) async throws {
        // why: HAProxy marks a node up after one check (100 ms in the test template); 10 s bounds a loaded box.
        let deadline = ContinuousClock.now + .seconds(10)
        while await !probe() {
            guard ContinuousClock.now < deadline else { throw Failure(description: "HAProxy did not route to the node: \(balancer.logTail())") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Whether `GET /readyz` through the balancer answers 200 (from 127.0.0.4, a client of its own).
    static func ready(through port: Int, tls: TLSConfiguration? = nil) async -> Bool {
        guard let connection = try? await RawConnection.connect(port: port, source: "127.0.0.4", tls: tls) else { return false }
        try? await connection.send("GET /readyz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        return ((try? await connection.receivedUntilClosed(timeout: .seconds(2))) ?? "").hasPrefix("HTTP/1.1 200")
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    @Test("HTTP mode (deploy/haproxy.cfg, X-Forwarded-For): with --trusted-proxies each client has its own limit and a spoofed header changes nothing; without it every client is HAProxy")
    func forwardedFor() async throws {
        let directory = NSTemporaryDirectory() + "herald-xff-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for trusted in [true, false] {
            let node = HeraldNodeProcess(
                name: "node-\(trusted)", port: try await LoopbackPort.free(),
                arguments: ["--max-connections-per-ip", "\(Self.limit)"] + (trusted ? ["--trusted-proxies", "127.0.0.1"] : []),
                logDirectory: directory
            )
            try await node.start()
            defer { node.stop() }
            let balancer = try await LoadBalancerProcess.start(.haproxy, upstreamPorts: [node.port])
            defer {
                balancer.stop()
                balancer.removeFiles()
            }
            try await Self.waitUntilRouted(balancer) { await Self.ready(through: balancer.port) }
            let two = [try await Self.stream(port: balancer.port, from: "127.0.0.2"), try await Self.stream(port: balancer.port, from: "127.0.0.2")]
            let third = try await Self.stream(port: balancer.port, from: "127.0.0.2")
            let other = try await Self.stream(port: balancer.port, from: "127.0.0.3")
            if trusted {
                #expect(two.allSatisfy { !$0.refused }, "\(two.map(\.connection.received))")
                #expect(third.refused && third.connection.received.contains("too_many_connections_from_address"), "\(third.connection.received)")
                #expect(third.connection.received.contains("127.0.0.2"), "the refusal names the client: \(third.connection.received)")
                #expect(!other.refused, "127.0.0.3 has its own limit: \(other.connection.received)\n\(node.logTail())")
                let spoofed = try await Self.stream(port: balancer.port, from: "127.0.0.3", headers: "x-forwarded-for: 127.0.0.9\r\n")
                #expect(!spoofed.refused, "the second stream of 127.0.0.3")
                let over = try await Self.stream(port: balancer.port, from: "127.0.0.3", headers: "x-forwarded-for: 127.0.0.9\r\n")
                #expect(over.refused, "a header the client wrote itself does not make it someone else: \(over.connection.received)")
                await spoofed.connection.close()
                await over.connection.close()
            } else {
                // Every client is HAProxy's 127.0.0.1 to the node: two clients' four streams do not fit under a
                // limit of two (the node refuses them, or HAProxy's health checks, refused too, take it out).
                let open = (two + [third, other]).filter { !$0.refused }.count
                #expect(open <= Self.limit, "without --trusted-proxies \(open) streams of two clients fit under a per-address limit of \(Self.limit)")
            }
            for attempt in two + [third, other] { await attempt.connection.close() }
        }
    }

    @Test("TCP mode (deploy/haproxy-tcp.cfg, PROXY v2 to TLS nodes): with --proxy-protocol each client has its own limit")
    func proxyProtocol() async throws {
        let files = try TLSNodeSupport(name: "proxy")
        defer { files.remove() }
        let client = files.client
        let node = HeraldNodeProcess(
            name: "node", port: try await LoopbackPort.free(),
            arguments: ["--max-connections-per-ip", "\(Self.limit)", "--proxy-protocol", "on"] + files.nodeArguments,
            logDirectory: files.directory, readiness: files.readiness(proxied: true)
        )
        try await node.start()
        defer { node.stop() }
        let balancer = try await LoadBalancerProcess.start(.haproxy, file: "deploy/haproxy-tcp.cfg", upstreamPorts: [node.port])
        defer {
            balancer.stop()
            balancer.removeFiles()
        }
        try await Self.waitUntilRouted(balancer) { await Self.ready(through: balancer.port, tls: client) }
        let two = [
            try await Self.stream(port: balancer.port, from: "127.0.0.2", tls: client),
            try await Self.stream(port: balancer.port, from: "127.0.0.2", tls: client),
        ]
        let third = try await Self.stream(port: balancer.port, from: "127.0.0.2", tls: client)
        let other = try await Self.stream(port: balancer.port, from: "127.0.0.3", tls: client)
        #expect(two.allSatisfy { !$0.refused }, "\(two.map(\.connection.received))\n\(node.logTail())")
        #expect(third.refused && third.connection.received.contains("127.0.0.2"), "\(third.connection.received)")
        #expect(!other.refused, "127.0.0.3 has its own limit: \(other.connection.received)")
        for attempt in two + [third, other] { await attempt.connection.close() }
    }
}
