import NIOCore
import Redis
import Testing

/// Hash slots, redirections and slot maps of Redis Cluster, with no server.
@Suite("Redis Cluster slots and redirections")
struct ClusterSlotTests {
    @Test("CRC16 and slots match the values of the Redis Cluster specification")
    func knownSlots() {
        // why: the specification's check value of CRC16/XMODEM is 0x31C3 for "123456789"; the slots below are
        // what `CLUSTER KEYSLOT` answers (also checked against a live cluster in ClusterTopologyLiveTests).
        #expect(RedisHashSlot.of("123456789") == 0x31C3 & 16383)
        #expect(RedisHashSlot.of("foo") == 12182)
        #expect(RedisHashSlot.of("bar") == 5061)
        #expect(RedisHashSlot.of("hello") == 866)
        #expect(RedisHashSlot.of("") == 0)
    }

    @Test("keys with the same non-empty hash tag share a slot; an empty or unclosed tag hashes the whole key")
    func hashTags() {
        #expect(RedisHashSlot.of("{user1000}.following") == RedisHashSlot.of("{user1000}.followers"))
        #expect(RedisHashSlot.of("herald:{orders/42}:stream") == RedisHashSlot.of("orders/42"))
        #expect(RedisHashSlot.of("foo{}{bar}") != RedisHashSlot.of("bar"), "the first { opens the tag, and {} is empty")
        #expect(RedisHashSlot.of("foo{{bar}}zap") == RedisHashSlot.of("{bar"))
        #expect(RedisHashSlot.of("foo{bar}{zap}") == RedisHashSlot.of("bar"))
        #expect(RedisHashSlot.of("no{tag") == RedisHashSlot.of(Array("no{tag".utf8)))
    }

    @Test("MOVED and ASK are read from error replies, with IPv4, IPv6 and empty hosts; other errors are not redirections")
    func redirections() {
        #expect(RESPValue.error("MOVED 3999 127.0.0.1:6381").redirection == RedisRedirection(errorMessage: "MOVED 3999 127.0.0.1:6381"))
        let moved = RedisRedirection(errorMessage: "MOVED 3999 127.0.0.1:6381")
        #expect(moved?.kind == .moved && moved?.slot == 3999 && moved?.host == "127.0.0.1" && moved?.port == 6381)
        let ask = RedisRedirection(errorMessage: "ASK 1 ::1:7001")
        #expect(ask?.kind == .ask && ask?.host == "::1" && ask?.port == 7001)
        #expect(RedisRedirection(errorMessage: "MOVED 5 :7002")?.host == "")
        for other in ["ERR unknown command", "MOVED 16384 127.0.0.1:1", "MOVED x 127.0.0.1:1", "ASK 1 127.0.0.1", "MOVED 1 h:0", "TRYAGAIN Multiple keys"] {
            #expect(RedisRedirection(errorMessage: other) == nil, "\(other)")
        }
        #expect(RESPValue.simpleString("MOVED 1 a:1").redirection == nil)
    }

    @Test("a slot map covers the slots of its shards and names the uncovered ranges")
    func slotMap() {
        let a = RedisClusterTopology.Node(host: "127.0.0.1", port: 7000)
        let b = RedisClusterTopology.Node(host: "127.0.0.1", port: 7001)
        let topology = RedisClusterTopology(shards: [
            .init(master: a, slots: [0...99, 200...299]),
            .init(master: b, slots: [300...16383]),
            .init(master: RedisClusterTopology.Node(host: "127.0.0.1", port: 7002), slots: []),
        ])
        #expect(topology.shards.count == 2, "a shard without slots serves nothing")
        #expect(topology.shard(forSlot: 0)?.master == a)
        #expect(topology.shard(forSlot: 250)?.master == a)
        #expect(topology.shard(forSlot: 16383)?.master == b)
        #expect(topology.shard(forSlot: 150) == nil)
        #expect(topology.shard(forSlot: 16384) == nil && topology.shard(forSlot: -1) == nil)
        #expect(topology.uncoveredSlots == [100...199])
        #expect(RedisClusterTopology(shards: []).uncoveredSlots == [0...16383])
    }

    @Test("CLUSTER SHARDS replies become shards, leaving out nodes that are not online")
    func clusterShards() throws {
        func node(_ port: Int, _ role: String, _ health: String = "online") -> RESPValue {
            .array(["id", .bulk("n\(port)"), "port", .integer(Int64(port)), "ip", "127.0.0.1", "endpoint", "127.0.0.1", "role", .bulk(role), "health", .bulk(health)])
        }
        let reply = RESPValue.array([
            .array(["slots", .array([.integer(0), .integer(5460)]), "nodes", .array([node(7000, "master"), node(7003, "replica")])]),
            .array(["slots", .array([.integer(5461), .integer(10922)]), "nodes", .array([node(7001, "master", "fail"), node(7004, "replica")])]),
            .array(["slots", .array([.integer(10923), .integer(12000), .integer(12001), .integer(16383)]), "nodes", .array([node(7002, "master"), node(7005, "replica", "loading")])]),
        ])
        let topology = try RedisClusterTopology.fromClusterShards(reply)
        #expect(topology.uncoveredSlots.isEmpty)
        #expect(topology.shard(forSlot: 0)?.master?.port == 7000)
        #expect(topology.shard(forSlot: 0)?.replicas.map(\.port) == [7003])
        #expect(topology.shard(forSlot: 6000)?.master == nil, "a failed master leaves its shard without one")
        #expect(topology.shard(forSlot: 16383)?.master?.id == "n7002")
        #expect(topology.shard(forSlot: 16383)?.replicas.isEmpty == true)
        #expect(throws: RedisError.self) { try RedisClusterTopology.fromClusterShards(.array([.array(["slots"])])) }
        #expect(throws: RedisError.self) { try RedisClusterTopology.fromClusterShards(.error("ERR This instance has cluster support disabled")) }
    }

    @Test("CLUSTER SLOTS replies become one shard per master, ranges merged")
    func clusterSlots() throws {
        func node(_ port: Int) -> RESPValue { .array(["127.0.0.1", .integer(Int64(port)), .bulk("id\(port)")]) }
        let reply = RESPValue.array([
            .array([.integer(0), .integer(100), node(7000), node(7003)]),
            .array([.integer(101), .integer(16383), node(7001)]),
            .array([.integer(50), .integer(60), node(7000)]),
        ])
        let topology = try RedisClusterTopology.fromClusterSlots(reply)
        #expect(topology.shards.count == 2)
        #expect(topology.shards[0].slots == [0...100, 50...60])
        #expect(topology.shard(forSlot: 100)?.replicas.map(\.port) == [7003])
        #expect(throws: RedisError.self) { try RedisClusterTopology.fromClusterSlots(.array([.array([.integer(1)])])) }
    }
}

extension RESPValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .bulkString(ByteBuffer(string: value)) }
}

extension RESPValue {
    static func bulk(_ text: String) -> RESPValue { .bulkString(ByteBuffer(string: text)) }
}
