import AsyncHTTPClient
import Foundation
import HeraldClient
import NIOCore
import NIOSSL
import TestSupport
import Testing

/// The shipped TLS variants for real: HAProxy (deploy/haproxy-tls.cfg) and nginx (deploy/nginx-tls.conf)
/// terminate TLS and HTTP/2 for an HTTP/2 client in front of a plaintext node, which sees the client's
/// address through `--trusted-proxies`.
@Suite(
    "TLS and HTTP/2 at the balancer",
    .enabled(if: RedisServerProcess.isRequired || LoadBalancerConfig.Kind.allCases.allSatisfy { LoadBalancerProcess.executable($0) != nil }),
    .timeLimit(.minutes(2))
)
struct BalancerTLSTests {
    @Test("twenty streams over one HTTP/2 connection to the balancer each get their event from a plaintext node", arguments: LoadBalancerConfig.Kind.allCases)
    func streamsThroughTLSBalancer(kind: LoadBalancerConfig.Kind) async throws {
        let files = try TLSNodeSupport(name: "balancer-tls")
        defer { files.remove() }
        let node = HeraldNodeProcess(
            name: "node", port: try await LoopbackPort.free(), arguments: ["--trusted-proxies", "127.0.0.1"], logDirectory: files.directory
        )
        try await node.start()
        defer { node.stop() }
        let balancer = try await LoadBalancerProcess.start(
            kind, file: kind == .haproxy ? "deploy/haproxy-tls.cfg" : "deploy/nginx-tls.conf", upstreamPorts: [node.port],
            prepare: { try files.authority.writeForBalancers(files.pair, to: $0) }
        )
        defer {
            balancer.stop()
            balancer.removeFiles()
        }
        var configuration = HTTPClient.Configuration()
        configuration.tlsConfiguration = files.client
        configuration.httpVersion = .automatic
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let base = "https://127.0.0.1:\(balancer.port)"
            try await poll(timeout: .seconds(10), "the balancer to route to the node") {
                let response = try? await client.execute(HTTPClientRequest(url: "\(base)/readyz"), timeout: .seconds(2))
                _ = try? await response?.body.collect(upTo: 1 << 16)
                return response?.status == .ok
            }
            var streams: [AsyncHTTPClient.HTTPClientResponse] = []
            for index in 0..<20 {
                streams.append(try await client.execute(HTTPClientRequest(url: "\(base)/events?topic=lb-\(index)"), timeout: .seconds(10)))
            }
            #expect(streams.allSatisfy { $0.status == .ok && $0.version == .http2 }, "\(kind): \(streams.map(\.version))")
            #expect(await node.openStreams() == 20, "the balancer holds one HTTP/1.1 stream to the node per HTTP/2 stream")
            for index in 0..<20 {
                let body = "topic=lb-\(index)&data=via-\(kind)"
                _ = try await HeraldHTTPClient.request(
                    port: node.port, method: .POST, path: "/publish", headers: [("content-type", "application/x-www-form-urlencoded")],
                    body: ByteBuffer(string: body)
                )
            }
            for response in streams {
                var received = ""
                for try await part in response.body {
                    received += String(buffer: part)
                    if received.contains("data: via-\(kind)\n") { break }
                }
                #expect(received.contains("data: via-\(kind)\n"))
            }
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }
}
