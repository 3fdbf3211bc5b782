import HeraldCore
import Redis

extension RedisTopicStore {
    /// What Redis retains of `topic`, read atomically by `Script.retained`: epoch, stream length, first and
    /// last id. A topic without a meta hash (never published, or expired) is `.empty`.
    func retainedHistory(of topic: Topic) async throws -> RetainedHistory {
        let keys = self.keys(of: topic)
        let replies = try await runScript(RedisBroker.Script.retained, firstEvents: [0], slots: [slot(ofKey: keys.stream)]) { sha in
            [RedisCommand("EVALSHA", [.string(sha), .string("2"), .string(keys.stream), .string(keys.meta)])]
        }
        guard let parts = replies.first?.array else { throw RedisBroker.unexpected(replies.first ?? .null, "topic summary") }
        guard !parts.isEmpty else { return .empty }
        guard parts.count == 4, let epoch = parts[0].epoch, let count = parts[1].int, let last = parts[3].streamID else {
            throw RedisBroker.unexpected(.array(parts), "topic summary")
        }
        return RetainedHistory(epoch: epoch, count: Int(count), first: parts[2].streamID, last: last)
    }
}
