import NIOHTTP1

/// Where the client's address comes from behind proxies: the balancers Herald trusts (`--trusted-proxies`)
/// and the header they write it in (`--client-address-header`).
///
/// Guarantees: the header is read only when the connection's peer is trusted, and walked from the right
/// (the entry the nearest proxy appended) past every trusted address; the first address that is not trusted
/// is the client. So a client that sends the header itself changes nothing: its entries lie left of the one
/// the trusted proxy appended. An entry that is not an IP address (`unknown`, an obfuscated name) stops the
/// walk at the proxy that wrote it; when every entry is trusted, the leftmost is the client.
public struct TrustedProxies: Sendable, Equatable {
    /// The header trusted proxies put the client's address in.
    public enum Header: String, Sendable, CaseIterable {
        /// `X-Forwarded-For: client, proxy1, proxy2` (nginx `$proxy_add_x_forwarded_for`, HAProxy `option forwardfor`).
        case xForwardedFor = "x-forwarded-for"
        /// RFC 7239: `Forwarded: for=192.0.2.60;proto=https, for="[2001:db8::17]:4711"`.
        case forwarded = "forwarded"
    }

    public var networks: [IPNetwork]
    public var header: Header

    public init(networks: [IPNetwork], header: Header = .xForwardedFor) {
        self.networks = networks
        self.header = header
    }

    func trusts(_ address: IPAddress) -> Bool {
        networks.contains { $0.contains(address) }
    }

    /// The client's address for a request that came from `peer` with `headers`.
    func clientAddress(peer: IPAddress, headers: HTTPHeaders) -> IPAddress {
        guard trusts(peer) else { return peer }
        var client = peer
        for entry in entries(headers).reversed() {
            guard let address = IPAddress(Self.hostPart(of: entry)) else { return client }
            client = address
            guard trusts(address) else { return address }
        }
        return client
    }

    /// The header's entries, left to right, over all of its lines.
    private func entries(_ headers: HTTPHeaders) -> [String] {
        let values = headers[header.rawValue]
        let elements = values.flatMap { $0.split(separator: ",") }.map { $0.trimmingSpaces }
        switch header {
        case .xForwardedFor:
            return elements
        case .forwarded:
            // why: an element without `for=` (only `proto=` or `by=`) names no hop; it is left out.
            return elements.compactMap { element in
                element.split(separator: ";").lazy.map { $0.trimmingSpaces }.first { $0.lowercased().hasPrefix("for=") }
                    .map { String(Self.unquoted($0.dropFirst(4))) }
            }
        }
    }

    /// `"[2001:db8::1]:4711"` → `[2001:db8::1]`, `192.0.2.1:80` → `192.0.2.1`; a bare IPv6 address stays whole.
    static func hostPart(of entry: String) -> Substring {
        let entry = Substring(entry)
        if entry.hasPrefix("["), let close = entry.firstIndex(of: "]") {
            return entry[...close]
        }
        let colons = entry.count(where: { $0 == ":" })
        guard colons == 1, let colon = entry.firstIndex(of: ":") else { return entry }
        return entry[..<colon]
    }

    private static func unquoted(_ value: Substring) -> Substring {
        guard value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") else { return value }
        return value.dropFirst().dropLast()
    }
}
