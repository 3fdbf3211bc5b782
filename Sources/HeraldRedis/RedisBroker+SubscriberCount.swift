import HeraldCore
import Redis

extension RedisBroker {
    /// This node's subscribers of `topic` (counted now) plus every other live node's, as it last reported
    /// (`SubscriberReporter`): one read of the node directory, then one `HMGET` per other node, pipelined.
    /// A node whose report expired (killed, or cut off from Redis for longer than the expiry) counts for nothing.
    public func subscriberCount(of topic: Topic, onThisNode: Int) async throws -> SubscriberCount {
        let keys = NodeKeys(prefix: configuration.keyPrefix)
        do {
            let slot = store.slot(ofKey: keys.directory)
            let directory = try await client.send([RedisCommand("ZRANGE", [.string(keys.directory), .string("0"), .string("-1")])], slot: slot)[0]
            guard let members = directory.array else { throw Self.unexpected(directory, "node directory") }
            let others = members.compactMap(\.string).filter { $0 != reporter.nodeID }
            var count = SubscriberCount.singleNode(onThisNode)
            guard !others.isEmpty else { return count }
            let replies = try await client.send(others.map {
                RedisCommand("HMGET", [.string(keys.report(of: $0)), .string(NodeKeys.liveField), .string(topic.name)])
            }, slot: slot)
            for reply in replies {
                guard let fields = reply.array, fields.count == 2 else { throw Self.unexpected(reply, "subscriber report") }
                guard !fields[0].isNull else { continue }
                count.nodesReporting += 1
                count.total += Int(fields[1].int ?? 0)
            }
            return count
        } catch {
            throw Self.translate(error)
        }
    }
}
