/// A cluster redirection in an error reply: `MOVED <slot> <host>:<port>` (the slot has a new owner: refresh
/// the slot map) or `ASK <slot> <host>:<port>` (the slot is migrating: send `ASKING` and the command once to
/// that node, without changing the map).
public struct RedisRedirection: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        case moved
        case ask
    }

    public var kind: Kind
    public var slot: Int
    public var host: String
    public var port: Int

    /// Reads a redirection from an error reply's text (`RESPValue.error`); nil for any other error.
    /// The host may be an IPv6 address (`MOVED 1 ::1:7001`: the port follows the last colon) or empty
    /// (`MOVED 1 :7001`: the node that answered, which the caller knows).
    public init?(errorMessage message: String) {
        let parts = message.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 3, let slot = Int(parts[1]), (0..<RedisHashSlot.count).contains(slot) else { return nil }
        switch parts[0] {
        case "MOVED": kind = .moved
        case "ASK": kind = .ask
        default: return nil
        }
        let endpoint = parts[2]
        guard let colon = endpoint.lastIndex(of: ":"), let port = Int(endpoint[endpoint.index(after: colon)...]), (1...65535).contains(port) else {
            return nil
        }
        self.slot = slot
        self.host = String(endpoint[..<colon])
        self.port = port
    }
}

extension RESPValue {
    /// The cluster redirection this error reply asks for, if it is one.
    public var redirection: RedisRedirection? {
        guard case .error(let message) = self else { return nil }
        return RedisRedirection(errorMessage: message)
    }
}
