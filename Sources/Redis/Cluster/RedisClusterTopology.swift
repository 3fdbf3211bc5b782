/// Which node serves each hash slot of a Redis Cluster: its shards (a master, its replicas, its slot ranges)
/// and a table from slot to shard.
///
/// Built from `CLUSTER SHARDS` (Redis 7) or, where that is missing, `CLUSTER SLOTS`
/// (`RedisClusterTopology+Parsing.swift`). A shard whose master is not online has no `master`: commands for
/// its slots cannot be served until the cluster promotes a replica.
public struct RedisClusterTopology: Sendable, Equatable, CustomStringConvertible {
    /// A cluster node's address (and id, when the reply gave it).
    public struct Node: Hashable, Sendable, CustomStringConvertible {
        public var host: String
        public var port: Int
        public var id: String?

        public init(host: String, port: Int, id: String? = nil) {
            self.host = host
            self.port = port
            self.id = id
        }

        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

        /// The node without its id: what identifies a connection.
        public var address: Node { Node(host: host, port: port) }
    }

    /// A master with its replicas and the slot ranges they serve.
    public struct Shard: Sendable, Equatable {
        public var master: Node?
        public var replicas: [Node]
        public var slots: [ClosedRange<Int>]

        /// The node to subscribe the shard's channels on: the master, or with `.replicas` the online replica
        /// first by address (so that every read of the map picks the same one), the master when none is.
        public func subscriptionNode(_ nodes: RedisClusterConfiguration.SubscriptionNodes) -> Node? {
            guard nodes == .replicas, let replica = replicas.min(by: { ($0.host, $0.port) < ($1.host, $1.port) }) else { return master?.address }
            return replica.address
        }

        /// The shard's slot ranges as Redis prints them: `0-5460,10923-16383`.
        public var slotList: String {
            slots.map { "\($0.lowerBound)-\($0.upperBound)" }.joined(separator: ",")
        }

        public init(master: Node?, replicas: [Node] = [], slots: [ClosedRange<Int>]) {
            self.master = master
            self.replicas = replicas
            self.slots = slots
        }
    }

    /// The shards that serve at least one slot.
    public let shards: [Shard]
    /// For each slot, the index of its shard in `shards`, or `unowned`.
    private let owners: [UInt16]
    private static let unowned = UInt16.max

    /// A topology of `shards`; a slot claimed by two shards goes to the later one (a reply never does that).
    public init(shards: [Shard]) {
        let serving = shards.filter { !$0.slots.isEmpty }
        var owners = [UInt16](repeating: Self.unowned, count: RedisHashSlot.count)
        for (index, shard) in serving.enumerated() {
            for range in shard.slots {
                let clamped = max(range.lowerBound, 0)...min(range.upperBound, RedisHashSlot.count - 1)
                for slot in clamped { owners[slot] = UInt16(index) }
            }
        }
        self.shards = serving
        self.owners = owners
    }

    /// The shard that serves `slot`, or nil when no shard does.
    public func shard(forSlot slot: Int) -> Shard? {
        guard (0..<RedisHashSlot.count).contains(slot) else { return nil }
        let owner = owners[slot]
        return owner == Self.unowned ? nil : shards[Int(owner)]
    }

    /// The index in `shards` of the shard that serves `slot`, or nil when no shard does.
    public func shardIndex(forSlot slot: Int) -> Int? {
        guard (0..<RedisHashSlot.count).contains(slot) else { return nil }
        let owner = owners[slot]
        return owner == Self.unowned ? nil : Int(owner)
    }

    /// The shards, one line each: `master (replicas) slots`.
    public var description: String {
        shards.map { shard in
            "\(shard.master?.description ?? "no master") (\(shard.replicas.map(\.description).joined(separator: " "))) \(shard.slotList)"
        }.joined(separator: "; ")
    }

    /// Whether both maps have the same shards (masters, online replicas and slots, by address), whatever the
    /// order of the shards and of their replicas.
    public func hasSameShards(as other: RedisClusterTopology) -> Bool {
        func lines(_ topology: RedisClusterTopology) -> Set<String> {
            Set(topology.shards.map { shard in
                "\(shard.master?.address.description ?? "-") \(shard.replicas.map(\.address.description).sorted()) \(shard.slotList)"
            })
        }
        return lines(self) == lines(other)
    }

    /// Whether every slot has the same master (by address) in both maps, whatever the order of their shards.
    public func hasSameOwners(as other: RedisClusterTopology) -> Bool {
        (0..<RedisHashSlot.count).allSatisfy { shard(forSlot: $0)?.master?.address == other.shard(forSlot: $0)?.master?.address }
    }

    /// The slot ranges no shard serves, in order; empty when the cluster covers every slot.
    public var uncoveredSlots: [ClosedRange<Int>] {
        var ranges: [ClosedRange<Int>] = []
        var start: Int?
        for slot in 0...RedisHashSlot.count {
            let uncovered = slot < RedisHashSlot.count && owners[slot] == Self.unowned
            if uncovered, start == nil { start = slot }
            if !uncovered, let first = start {
                ranges.append(first...(slot - 1))
                start = nil
            }
        }
        return ranges
    }
}
