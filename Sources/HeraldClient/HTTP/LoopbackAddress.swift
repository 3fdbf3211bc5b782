import NIOCore

/// Turns a host name into a loopback socket address, refusing anything else.
///
/// Guarantees: no DNS lookup is made; `localhost` means 127.0.0.1; an IPv4 literal must be in 127.0.0.0/8.
/// Everything else (other IPv4 or IPv6 addresses, names) fails with ``HeraldClientError/Code/nonLoopbackHost``,
/// so a load test can never be pointed at another machine by mistake.
enum LoopbackAddress {
    static func resolve(host: String, port: Int) throws -> SocketAddress {
        let literal = host == "localhost" ? "127.0.0.1" : host
        let octets = literal.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets.allSatisfy({ UInt8($0) != nil }), octets.first == "127" else {
            throw HeraldClientError(
                .nonLoopbackHost,
                "host \"\(host)\" is not loopback; use localhost or an IPv4 address in 127.0.0.0/8"
            )
        }
        do {
            return try SocketAddress(ipAddress: literal, port: port)
        } catch {
            throw HeraldClientError(.nonLoopbackHost, "host \"\(host)\" is not a valid IPv4 address", underlying: error)
        }
    }
}
