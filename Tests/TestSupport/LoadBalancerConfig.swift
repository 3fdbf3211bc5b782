import Foundation

/// The shipped load balancer configurations (deploy/haproxy.cfg, deploy/nginx.conf), templated for a test on
/// loopback, so that the tests exercise the very files users deploy. They name three nodes; a test may run
/// fewer.
///
/// Substitutions, each of which must find its target (a config changed so that one no longer applies fails
/// the test instead of silently testing something else):
/// - `herald-N:8080` becomes `127.0.0.1:<upstreamPorts[N-1]>`, for N = 1, 2, 3; with fewer ports, the server
///   lines of the nodes left over are removed;
/// - the listen line (`bind :<port>`, `listen <port>`, whatever follows) becomes `127.0.0.1:<listenPort>`;
/// - the TLS variants' certificate directory, `/etc/herald/tls/`, becomes `directory` (the test writes its
///   certificates there: `haproxy.pem`, `fullchain.pem`, `privkey.pem`);
/// - HAProxy, with `fastHealthChecks`: `inter 2s` becomes `inter 100ms` and `rise 2` becomes `rise 1`, so
///   that a node leaves and rejoins rotation within a few hundred milliseconds; `maxconn 50000` becomes
///   `maxconn 1000` (enough for a test's few hundred streams), for which HAProxy needs about 2,000 file
///   descriptors instead of 100,000, which a CI runner may not allow;
/// - nginx: the temp paths, the access log and any `extraLocations` (e.g. a static test page) are placed
///   inside `directory`, so that nginx runs without root; the pid file and error log are given on the
///   command line (``LoadBalancerProcess``).
package struct LoadBalancerConfig: Sendable {
    package enum Kind: String, Sendable, CaseIterable, CustomStringConvertible {
        case haproxy
        case nginx

        /// The shipped file under the repository.
        package var file: String { self == .haproxy ? "deploy/haproxy.cfg" : "deploy/nginx.conf" }
        package var description: String { rawValue }
    }

    package struct TemplateError: Error, CustomStringConvertible {
        package var description: String
    }

    /// The repository root (this file is Tests/TestSupport/LoadBalancerConfig.swift).
    package static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    package let kind: Kind
    /// The shipped file, relative to the repository: `kind.file` or a variant (`deploy/haproxy-tcp.cfg`).
    package let file: String
    /// The shipped file's text, untouched.
    package let original: String
    /// The templated text, ready to be written to `directory`.
    package let text: String

    package init(
        _ kind: Kind, file: String? = nil, listenPort: Int, upstreamPorts: [Int], directory: String, fastHealthChecks: Bool = true,
        extraLocations: String = ""
    ) throws {
        precondition((1...3).contains(upstreamPorts.count), "the shipped configurations name three nodes")
        self.kind = kind
        self.file = file ?? kind.file
        original = try String(contentsOf: Self.repository.appendingPathComponent(self.file), encoding: .utf8)
        var text = original
        for (index, port) in upstreamPorts.enumerated() {
            try Self.replace("herald-\(index + 1):8080", with: "127.0.0.1:\(port)", in: &text)
        }
        for node in (upstreamPorts.count + 1)..<4 {
            try Self.removeLine(containing: "herald-\(node):8080", in: &text)
        }
        switch kind {
        case .haproxy:
            guard let bind = text.firstMatch(of: /\n    bind :\d+/) else {
                throw TemplateError(description: "\(self.file) no longer contains a \"bind :<port>\" line; update LoadBalancerConfig")
            }
            text.replaceSubrange(bind.range, with: "\n    bind 127.0.0.1:\(listenPort)")
            try Self.replace("maxconn 50000", with: "maxconn 1000", in: &text)
            if fastHealthChecks {
                try Self.replace(" inter 2s ", with: " inter 100ms ", in: &text)
                try Self.replace(" rise 2 ", with: " rise 1 ", in: &text)
            }
        case .nginx:
            guard let listen = text.firstMatch(of: /\n        listen \d+/) else {
                throw TemplateError(description: "\(self.file) no longer contains a \"listen <port>\" line; update LoadBalancerConfig")
            }
            text.replaceSubrange(listen.range, with: "\n        listen 127.0.0.1:\(listenPort)")
            let paths = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
                .map { "    \($0)_temp_path \(directory)/\($0)_temp;" }
                .joined(separator: "\n")
            try Self.replace("http {\n", with: "http {\n\(paths)\n    access_log \(directory)/access.log;\n", in: &text)
            if !extraLocations.isEmpty {
                try Self.replace("        location / {\n", with: extraLocations + "\n        location / {\n", in: &text)
            }
        }
        // The TLS variants read their certificate from /etc/herald/tls/; the test puts its own in `directory`.
        text = text.replacingOccurrences(of: "/etc/herald/tls/", with: directory + "/")
        self.text = text
    }

    /// Writes the templated text to `directory`/`name` and returns its path.
    package func write(to directory: String, name: String? = nil) throws -> String {
        let path = directory + "/" + (name ?? (kind == .haproxy ? "haproxy.cfg" : "nginx.conf"))
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private static func replace(_ target: String, with replacement: String, in text: inout String) throws {
        guard text.contains(target) else {
            throw TemplateError(description: "the load balancer config no longer contains \"\(target)\"; update LoadBalancerConfig")
        }
        text = text.replacingOccurrences(of: target, with: replacement)
    }

    private static func removeLine(containing target: String, in text: inout String) throws {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let kept = lines.filter { !$0.contains(target) }
        guard kept.count < lines.count else {
            throw TemplateError(description: "the load balancer config no longer contains \"\(target)\"; update LoadBalancerConfig")
        }
        text = kept.joined(separator: "\n")
    }
}
