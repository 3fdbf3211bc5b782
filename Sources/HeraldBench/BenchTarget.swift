/// The node a benchmark runs against, parsed from `--url`: loopback only.
///
/// Guarantees: only `http://` and `https://` URLs whose host is `localhost` or an IPv4 literal in 127.0.0.0/8
/// are accepted, and no name is ever resolved, so a benchmark can never load another machine.
package struct BenchTarget: Sendable, Equatable {
    /// The IPv4 literal to connect to (`localhost` becomes 127.0.0.1).
    var host: String
    var port: Int
    /// `https://`: the subscribers speak TLS (the node's certificate is not verified: loopback only).
    package var tls: Bool

    /// Parses `http://HOST:PORT` or `https://HOST:PORT` (a trailing `/` is allowed; any other path is refused).
    package init(url: String) throws {
        let scheme: String
        if url.hasPrefix("http://") {
            scheme = "http://"
        } else if url.hasPrefix("https://") {
            scheme = "https://"
        } else {
            throw BenchError("--url \(url): only http:// and https:// are supported; write e.g. http://127.0.0.1:8080")
        }
        var authority = url.dropFirst(scheme.count)
        if authority.hasSuffix("/") { authority = authority.dropLast() }
        guard !authority.contains("/"), let colon = authority.lastIndex(of: ":"),
              let port = Int(authority[authority.index(after: colon)...]), (1...65535).contains(port)
        else {
            throw BenchError("--url \(url): give a host and a port and no path, e.g. \(scheme)127.0.0.1:8080")
        }
        let name = String(authority[..<colon])
        let literal = name == "localhost" ? "127.0.0.1" : name
        let octets = literal.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets.allSatisfy({ UInt8($0) != nil }), octets.first == "127" else {
            throw BenchError("--url \(url): \(name) is not loopback; benchmarks may only target localhost or 127.0.0.0/8")
        }
        self.host = literal
        self.port = port
        self.tls = scheme == "https://"
    }
}
