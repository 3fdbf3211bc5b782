extension RedisClusterTopology {
    /// Reads a `CLUSTER SHARDS` reply (Redis 7.0+): per shard, `slots` (start and end pairs) and `nodes`
    /// (key–value arrays with `ip`, `endpoint`, `hostname`, `port`, `id`, `role`, `health`).
    /// Nodes whose `health` is not `online` are left out; a shard without an online master has none.
    public static func fromClusterShards(_ reply: RESPValue) throws(RedisError) -> RedisClusterTopology {
        guard let entries = reply.array else { throw malformed("CLUSTER SHARDS", "not an array") }
        var shards: [Shard] = []
        for entry in entries {
            let fields = try keyValues(entry, "CLUSTER SHARDS")
            guard let bounds = fields["slots"]?.array, bounds.count % 2 == 0 else { throw malformed("CLUSTER SHARDS", "a shard without slots") }
            var slots: [ClosedRange<Int>] = []
            for pair in stride(from: 0, to: bounds.count, by: 2) {
                guard let start = bounds[pair].int, let end = bounds[pair + 1].int, start <= end else {
                    throw malformed("CLUSTER SHARDS", "a slot range that is not two ordered integers")
                }
                slots.append(Int(start)...Int(end))
            }
            var shard = Shard(master: nil, slots: slots)
            for node in fields["nodes"]?.array ?? [] {
                let attributes = try keyValues(node, "CLUSTER SHARDS")
                guard attributes["health"]?.string.map({ $0 == "online" }) ?? true else { continue }
                // why: `endpoint` is what clients are told to use (`cluster-preferred-endpoint-type`); `ip` when absent.
                let host = [attributes["endpoint"]?.string, attributes["ip"]?.string].compactMap { $0 }.first { !$0.isEmpty && $0 != "?" }
                guard let host, let port = attributes["port"]?.int ?? attributes["tls-port"]?.int else { continue }
                let address = Node(host: host, port: Int(port), id: attributes["id"]?.string)
                if attributes["role"]?.string == "master" { shard.master = address } else { shard.replicas.append(address) }
            }
            shards.append(shard)
        }
        return RedisClusterTopology(shards: shards)
    }

    /// Reads a `CLUSTER SLOTS` reply (before Redis 7): per range, start, end, the master `[host, port, id…]`,
    /// then its replicas. Ranges of the same master become one shard.
    public static func fromClusterSlots(_ reply: RESPValue) throws(RedisError) -> RedisClusterTopology {
        guard let ranges = reply.array else { throw malformed("CLUSTER SLOTS", "not an array") }
        var shards: [Shard] = []
        for range in ranges {
            guard let items = range.array, items.count >= 3, let start = items[0].int, let end = items[1].int, start <= end else {
                throw malformed("CLUSTER SLOTS", "a range without start, end and master")
            }
            let nodes = try items[2...].map { item throws(RedisError) -> Node in
                guard let fields = item.array, fields.count >= 2, let host = fields[0].string, let port = fields[1].int else {
                    throw malformed("CLUSTER SLOTS", "a node without host and port")
                }
                return Node(host: host, port: Int(port), id: fields.count > 2 ? fields[2].string : nil)
            }
            let master = nodes[0]
            if let index = shards.firstIndex(where: { $0.master == master }) {
                shards[index].slots.append(Int(start)...Int(end))
            } else {
                shards.append(Shard(master: master, replicas: Array(nodes.dropFirst()), slots: [Int(start)...Int(end)]))
            }
        }
        return RedisClusterTopology(shards: shards)
    }

    /// A flat `[key, value, key, value…]` array as a dictionary keyed by the keys' text.
    private static func keyValues(_ value: RESPValue, _ command: String) throws(RedisError) -> [String: RESPValue] {
        guard let items = value.array, items.count % 2 == 0 else { throw malformed(command, "an entry that is not key–value pairs") }
        var fields: [String: RESPValue] = [:]
        for index in stride(from: 0, to: items.count, by: 2) {
            guard let key = items[index].string else { throw malformed(command, "a key that is not a string") }
            fields[key] = items[index + 1]
        }
        return fields
    }

    private static func malformed(_ command: String, _ detail: String) -> RedisError {
        RedisError(.protocolError, message: "the \(command) reply is not what Redis Cluster sends: \(detail)")
    }
}
