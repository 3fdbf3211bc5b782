import ArgumentParser
import Foundation
import HeraldHTTP

/// Reads where the client's address comes from (part of `ServeSettings`): the PROXY protocol, and the
/// balancers whose forwarded-address header is believed. A list entry that is not an IP or CIDR stops startup.
enum ClientAddressSettings {
    static func read(_ options: ServeOptions, _ reader: SettingReader, into edge: inout EdgeConfiguration) throws {
        edge.proxyProtocol = try reader.onOff(options.proxyProtocol, "proxy-protocol", "HERALD_PROXY_PROTOCOL") ?? edge.proxyProtocol
        let headerText = reader.value(options.clientAddressHeader, "client-address-header", "HERALD_CLIENT_ADDRESS_HEADER")
        var header = TrustedProxies.Header.xForwardedFor
        if let headerText {
            guard let parsed = TrustedProxies.Header(rawValue: headerText.lowercased()) else {
                throw ValidationError("--client-address-header / HERALD_CLIENT_ADDRESS_HEADER: \"\(headerText)\" is not x-forwarded-for or forwarded")
            }
            header = parsed
        }
        guard let list = reader.value(options.trustedProxies, "trusted-proxies", "HERALD_TRUSTED_PROXIES") else {
            guard headerText == nil else {
                throw ValidationError("--client-address-header / HERALD_CLIENT_ADDRESS_HEADER needs --trusted-proxies / HERALD_TRUSTED_PROXIES: the header is believed only from the balancers listed there")
            }
            return
        }
        let entries = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let networks = try entries.map { entry in
            guard let network = IPNetwork(entry) else {
                throw ValidationError("--trusted-proxies / HERALD_TRUSTED_PROXIES: \"\(entry)\" is not an IP address or CIDR network; write e.g. 10.0.0.0/8, 192.0.2.7 or fd00::/8")
            }
            return network
        }
        guard !networks.isEmpty else {
            throw ValidationError("--trusted-proxies / HERALD_TRUSTED_PROXIES: no network given; write e.g. 10.0.0.0/8,127.0.0.1")
        }
        edge.trustedProxies = TrustedProxies(networks: networks, header: header)
    }
}
