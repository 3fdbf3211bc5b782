import Foundation
import HeraldClient
import TestSupport
import Testing

/// deploy/nginx.conf and deploy/haproxy.cfg: valid for the real programs (`nginx -t`, `haproxy -c`) once
/// templated for loopback, and holding every setting SSE needs, so that removing one fails here.
@Suite(
    "Load balancer configurations",
    .enabled(if: RedisServerProcess.isRequired || LoadBalancerConfig.Kind.allCases.allSatisfy { LoadBalancerProcess.executable($0) != nil }),
    // why: two config checks of a few milliseconds each; a minute bounds a hung binary.
    .timeLimit(.minutes(1))
)
struct LoadBalancerConfigTests {
    /// The heartbeat Herald sends by default; idle timeouts must exceed twice this.
    static let heartbeatSeconds = 15.0

    @Test("the templated configuration passes the balancer's own check", arguments: LoadBalancerConfig.Kind.allCases)
    func passesCheck(kind: LoadBalancerConfig.Kind) throws {
        let directory = try LoadBalancerProcess.makeDirectory(kind)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = try LoadBalancerConfig(kind, listenPort: 20_080, upstreamPorts: [20_081, 20_082, 20_083], directory: directory)
        let path = try config.write(to: directory)
        let (passed, output) = try LoadBalancerProcess.check(kind, configPath: path, directory: directory)
        #expect(passed, "\(kind) rejects the templated config:\n\(output)")
        #expect(!output.contains("[WARNING]"), "\(kind) warns about the templated config:\n\(output)")
        for port in [20_081, 20_082, 20_083] { #expect(config.text.contains("127.0.0.1:\(port)")) }
    }

    @Test("templated for two nodes, the configuration names those two and passes the balancer's check", arguments: LoadBalancerConfig.Kind.allCases)
    func twoNodes(kind: LoadBalancerConfig.Kind) throws {
        let directory = try LoadBalancerProcess.makeDirectory(kind)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = try LoadBalancerConfig(kind, listenPort: 20_080, upstreamPorts: [20_081, 20_082], directory: directory)
        let (passed, output) = try LoadBalancerProcess.check(kind, configPath: try config.write(to: directory), directory: directory)
        #expect(passed, "\(kind) rejects the config for two nodes:\n\(output)")
        let servers = config.text.split(separator: "\n").filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("server ") && $0.contains("127.0.0.1:") }
        #expect(servers.count == 2 && !config.text.contains("herald-3"), "\(servers)")
    }

    @Test("nginx streams unbuffered over HTTP/1.1 keep-alive, waits longer than two heartbeats and retries only what is safe")
    func nginxSettings() throws {
        let lines = try Self.directives(.nginx)
        for required in [
            "proxy_buffering off;", "proxy_cache off;", "proxy_http_version 1.1;", "proxy_set_header Connection \"\";",
            "least_conn;", "listen 80;", "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        ] {
            #expect(lines.contains(required), "nginx.conf lacks \(required)")
        }
        #expect(lines.contains { $0.hasPrefix("keepalive ") }, "the upstream must keep connections alive")
        #expect(try Self.seconds(after: "proxy_read_timeout", in: lines) > 2 * Self.heartbeatSeconds)
        #expect(try Self.seconds(after: "send_timeout", in: lines) > 2 * Self.heartbeatSeconds)
        let retry = try #require(lines.first { $0.hasPrefix("proxy_next_upstream ") })
        for condition in ["error", "timeout", "http_502", "http_503"] { #expect(retry.contains(condition), "retry on \(condition)") }
        #expect(!retry.contains("non_idempotent"), "publishes must not be retried blindly")
        let servers = lines.filter { $0.hasPrefix("server herald-") }
        #expect(servers.count == 3)
        #expect(servers.allSatisfy { $0.contains("max_fails=") && $0.contains("fail_timeout=") })
        #expect(lines.contains { $0.hasPrefix("worker_shutdown_timeout ") }, "a reload must not wait forever for streams")
        #expect(lines.contains("proxy_intercept_errors on;") && lines.contains("error_page 502 503 504 =200 @reconnect;"),
                "a stream nginx cannot place must get a 200 that makes the browser retry, not a final error")
    }

    @Test("HAProxy checks /readyz, retries elsewhere, waits longer than two heartbeats and lets streams drain")
    func haproxySettings() throws {
        let lines = try Self.directives(.haproxy)
        for required in ["mode http", "option httpchk GET /readyz", "http-check expect status 200", "option redispatch", "balance leastconn", "bind :80"] {
            #expect(lines.contains(required), "haproxy.cfg lacks \(required)")
        }
        let retryOn = try #require(lines.first { $0.hasPrefix("retry-on ") })
        for condition in ["conn-failure", "empty-response", "503"] { #expect(retryOn.contains(condition)) }
        #expect(lines.contains { $0.hasPrefix("retries ") })
        for timeout in ["timeout client", "timeout server"] {
            #expect(try Self.seconds(after: timeout, in: lines) > 2 * Self.heartbeatSeconds, "\(timeout)")
        }
        let defaults = try #require(lines.first { $0.hasPrefix("default-server ") })
        for part in ["check", "inter ", "fall ", "rise ", "init-addr last,libc,none"] { #expect(defaults.contains(part)) }
        #expect(lines.filter { $0.hasPrefix("server herald-") }.count == 3)
        #expect(!lines.contains { $0.contains("on-marked-down shutdown-sessions") }, "draining streams must not be cut")
        #expect(
            lines.contains { $0.hasPrefix("http-request return status 200 content-type text/event-stream") && $0.contains("nbsrv(herald) eq 0") },
            "with no node in rotation, streams must get a 200 that makes the browser retry, not HAProxy's final 503"
        )
    }

    @Test("with every node down, a stream request still gets an event stream that makes the browser retry", arguments: LoadBalancerConfig.Kind.allCases)
    func streamsRetryWhenNoNodeIsUp(kind: LoadBalancerConfig.Kind) async throws {
        let nowhere = try await LoopbackPort.free(count: 3)
        let balancer = try await LoadBalancerProcess.start(kind, upstreamPorts: nowhere)
        defer {
            balancer.stop()
            balancer.removeFiles()
        }
        var response: HTTPClientResponse?
        var lastError: (any Error)?
        // why: HAProxy first has to see its checks fail (2 x 100 ms in the test template). A request that comes
        // before that is tried on the nodes, refused, and retried with HAProxy's one-second turn-around, so it
        // takes about 2 s: an attempt is bounded by 5 s, and retried (under a full parallel suite one attempt
        // once hung past 5 s, nginx, which a browser would also simply retry). 30 s for all: with the whole
        // suite running on two cores, this test once took 36 s of wall time for 10 s of its own.
        let deadline = ContinuousClock.now + .seconds(30)
        repeat {
            do {
                response = try await HeraldHTTPClient.request(port: balancer.port, path: "/events?topic=t", timeout: .seconds(5))
                if response?.status == 200 { break }
            } catch {
                lastError = error
            }
            try await Task.sleep(for: .milliseconds(50))
        } while ContinuousClock.now < deadline
        let stream = try #require(response, "\(kind): no response within 30 s (last error: \(String(describing: lastError)))\n\(balancer.logTail())")
        #expect(stream.status == 200, "\(kind): \(stream.status) \(stream.bodyText)\n\(balancer.logTail())")
        #expect(stream.headers.contains { $0.name.lowercased() == "content-type" && $0.value.hasPrefix("text/event-stream") })
        #expect(stream.bodyText.hasPrefix("retry: "))
        #expect(stream.bodyText.contains("event: herald.unavailable\ndata: {\"code\":\"no_node_available\""), "the same retry stream a node sends: \(stream.bodyText)")
        let publish = try await HeraldHTTPClient.request(port: balancer.port, method: .POST, path: "/publish", timeout: .seconds(5))
        #expect(publish.status >= 500, "a publish must still fail visibly")
    }

    @Test("deploy/haproxy-tcp.cfg passes HAProxy's check and passes TCP through to TLS nodes with PROXY v2, health checks included")
    func haproxyTCP() throws {
        let file = "deploy/haproxy-tcp.cfg"
        let directory = try LoadBalancerProcess.makeDirectory(.haproxy)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = try LoadBalancerConfig(.haproxy, file: file, listenPort: 20_080, upstreamPorts: [20_081, 20_082, 20_083], directory: directory)
        let (passed, output) = try LoadBalancerProcess.check(.haproxy, configPath: try config.write(to: directory), directory: directory)
        #expect(passed && !output.contains("[WARNING]"), "\(output)")
        let lines = try Self.directives(file: file)
        for required in ["mode tcp", "option httpchk GET /readyz", "http-check expect status 200", "balance leastconn", "option redispatch", "bind :443"] {
            #expect(lines.contains(required), "\(file) lacks \(required)")
        }
        let defaults = try #require(lines.first { $0.hasPrefix("default-server ") })
        for part in ["send-proxy-v2", "check-send-proxy", "check-ssl", "inter ", "fall ", "rise ", "observe layer4"] {
            #expect(defaults.contains(part), "default-server lacks \(part)")
        }
        for timeout in ["timeout client", "timeout server"] {
            #expect(try Self.seconds(after: timeout, in: lines) > 2 * Self.heartbeatSeconds, "\(timeout)")
        }
        #expect(!lines.contains { $0.contains("on-marked-down shutdown-sessions") }, "draining streams must not be cut")
        try Self.expectExplained(file: file, sectionHeaders: true)
    }

    @Test("the TLS variants (deploy/haproxy-tls.cfg, deploy/nginx-tls.conf) pass their balancer's check with a real certificate and offer HTTP/2", arguments: LoadBalancerConfig.Kind.allCases)
    func tlsVariants(kind: LoadBalancerConfig.Kind) throws {
        let file = kind == .haproxy ? "deploy/haproxy-tls.cfg" : "deploy/nginx-tls.conf"
        let directory = try LoadBalancerProcess.makeDirectory(kind)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let authority = try TestCertificateAuthority(directory: directory)
        try authority.writeForBalancers(try authority.issue("balancer"), to: directory)
        let config = try LoadBalancerConfig(kind, file: file, listenPort: 20_443, upstreamPorts: [20_081, 20_082, 20_083], directory: directory)
        let (passed, output) = try LoadBalancerProcess.check(kind, configPath: try config.write(to: directory), directory: directory)
        #expect(passed && !output.contains("[WARNING]"), "\(file): \(output)")
        let lines = try Self.directives(file: file)
        switch kind {
        case .haproxy:
            let bind = try #require(lines.first { $0.hasPrefix("bind :443 ") })
            for part in ["ssl", "crt ", "alpn h2,http/1.1", "ssl-min-ver TLSv1.2"] { #expect(bind.contains(part), "bind lacks \(part)") }
            #expect(lines.contains("option forwardfor") && lines.contains("option httpchk GET /readyz"))
        case .nginx:
            for required in ["listen 443 ssl http2;", "ssl_protocols TLSv1.2 TLSv1.3;", "proxy_buffering off;", "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;"] {
                #expect(lines.contains(required), "\(file) lacks \(required)")
            }
        }
        try Self.expectExplained(file: file, sectionHeaders: kind == .haproxy)
    }

    @Test("every group of directives starts right after a comment explaining it", arguments: LoadBalancerConfig.Kind.allCases)
    func explained(kind: LoadBalancerConfig.Kind) throws {
        try Self.expectExplained(file: kind.file, sectionHeaders: kind == .haproxy)
    }

    /// Checks that each group of directives in `file` follows a comment; `sectionHeaders`: HAProxy's
    /// unindented section lines (`global`, `backend herald`) need none.
    static func expectExplained(file: String, sectionHeaders: Bool) throws {
        let text = try String(contentsOf: LoadBalancerConfig.repository.appendingPathComponent(file), encoding: .utf8)
        var previousWasExplained = false
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            let isSectionHeader = sectionHeaders && !raw.hasPrefix(" ") && !line.isEmpty && !line.hasPrefix("#")
            if line.hasPrefix("#") {
                previousWasExplained = true
            } else if line.isEmpty || line.hasSuffix("{") || line == "}" || isSectionHeader {
                previousWasExplained = false
            } else {
                #expect(previousWasExplained, "\(file): \"\(line)\" starts a group without a comment above it")
                previousWasExplained = true
            }
        }
    }

    /// The shipped file's directive lines: comments removed, trimmed, empty lines dropped.
    static func directives(_ kind: LoadBalancerConfig.Kind) throws -> [String] {
        try directives(file: kind.file)
    }

    static func directives(file: String) throws -> [String] {
        let text = try String(contentsOf: LoadBalancerConfig.repository.appendingPathComponent(file), encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            let code = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
            let trimmed = code.trimmingCharacters(in: .whitespaces)
            return trimmed.isEmpty ? nil : trimmed
        }
    }

    /// The duration after `name` (`1h`, `60s`, `500ms`, nginx's bare seconds) in seconds.
    static func seconds(after name: String, in lines: [String]) throws -> Double {
        let line = try #require(lines.first { $0.hasPrefix(name + " ") }, "\(name) is not set")
        let value = line.dropFirst(name.count + 1).trimmingCharacters(in: CharacterSet(charactersIn: " ;"))
        let match = try #require(value.wholeMatch(of: /(\d+)(ms|s|m|h|d)?/), "cannot read \(name) \(value)")
        let number = Double(match.output.1) ?? 0
        let unit: Double = switch match.output.2 {
        case "ms": 0.001
        case "m": 60
        case "h": 3600
        case "d": 86_400
        default: 1
        }
        return number * unit
    }
}
