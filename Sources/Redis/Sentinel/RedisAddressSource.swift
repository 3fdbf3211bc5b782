/// Where a connection's server is, asked before every connect: for a primary behind Redis Sentinel, the
/// address changes with each failover. Without one, connections go to their configuration's host and port.
public protocol RedisAddressSource: Sendable {
    /// The server to connect to now.
    func currentAddress() async throws -> RedisServerAddress
}

extension RedisConfiguration {
    /// This configuration pointed at the address `source` gives now (unchanged without a source).
    func resolved(by source: (any RedisAddressSource)?) async throws -> RedisConfiguration {
        guard let source else { return self }
        let address = try await source.currentAddress()
        var configuration = self
        configuration.host = address.host
        configuration.port = address.port
        return configuration
    }
}
