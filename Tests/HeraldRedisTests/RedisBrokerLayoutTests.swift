import HeraldCore
import NIOCore
import Redis
import TestSupport
import Testing
@testable import HeraldRedis

@Suite(
    "Redis key layout and scripts",
    .enabled(if: RedisServerProcess.isAvailable || RedisServerProcess.isRequired),
    .timeLimit(.minutes(1))
)
struct RedisBrokerLayoutTests {
    func withBroker(retention: RetentionPolicy = RetentionPolicy(), _ body: (RedisBroker, RedisConnection, String) async throws -> Void) async throws {
        try await RedisBrokerHarness.with(retention: retention, body)
    }

    func event(_ topic: String, _ data: String, type: String? = nil) throws -> NewEvent {
        NewEvent(topic: try Topic(topic), type: type, data: ByteBuffer(string: data))
    }

    @Test("keys put the topic in a hash tag, so stream, meta and channel share a slot")
    func keyNames() throws {
        let keys = RedisBroker.Keys(prefix: "herald", topic: try Topic("orders/42"), layout: .single)
        #expect(keys.stream == "herald:{orders/42}:stream")
        #expect(keys.meta == "herald:{orders/42}:meta")
        #expect(keys.channel == "herald:{orders/42}:live")
        #expect(RedisBroker.Keys.topic(ofChannel: keys.channel, prefix: "herald")?.name == "orders/42")
        #expect(RedisBroker.Keys.topic(ofChannel: "other:{x}:live", prefix: "herald") == nil)
        let unicode = RedisBroker.Keys(prefix: "herald", topic: try Topic("zürich/€/{1}"), layout: .single)
        #expect(RedisBroker.Keys.topic(ofChannel: unicode.channel, prefix: "herald")?.name == "zürich/€/{1}")
        for foreign in ["herald:{}:live", "herald:{x}:stream", "herald{x}:live", "heral:{x}:live", "herald:{x}:liv", "herald:{", ""] {
            #expect(RedisBroker.Keys.topic(ofChannel: foreign, prefix: "herald") == nil, "\(foreign)")
        }
    }

    @Test("on a single Redis a topic that starts with } keeps the keys it always had; an idempotency key's } are written as spaces")
    func closingBraceFirstUnchanged() async throws {
        try await withBroker { broker, redis, prefix in
            var keyed = try event("}x", "one")
            keyed.idempotencyKey = "a}b"
            let position = try await broker.publish([keyed])[0]
            #expect(try await redis.send(RedisCommand("XLEN", "\(prefix):{}x}:stream")).int == 1)
            #expect(try await redis.send(RedisCommand("GET", "\(prefix):{}x}:idem:a b")).string == "\(position.epoch) \(position.id)")
        }
    }

    @Test("publish stores <ms>-<ordinal> ids, the event fields and the meta hash")
    func storedLayout() async throws {
        try await withBroker { broker, redis, prefix in
            let positions = try await broker.publish([try event("t", "one", type: "kind"), try event("t", "two")])
            #expect(positions.map(\.id.ordinal) == [1, 2])
            #expect(positions[0].epoch == positions[1].epoch && positions[0].epoch != 0)
            let entries = try await redis.send(RedisCommand("XRANGE", "\(prefix):{t}:stream", "-", "+")).array ?? []
            #expect(entries.compactMap { $0.array?.first?.string } == positions.map(\.id.description))
            #expect(entries.first?.array?.last == .array([.bulkString(ByteBuffer(string: "e")), .bulkString(ByteBuffer(string: "kind")), .bulkString(ByteBuffer(string: "d")), .bulkString(ByteBuffer(string: "one"))]))
            let meta = try await redis.send(RedisCommand("HMGET", "\(prefix):{t}:meta", "epoch", "n", "ms")).array?.map(\.string)
            #expect(meta == ["\(positions[1].epoch)", "2", "\(positions[1].id.milliseconds)"])
            #expect(try await redis.send(RedisCommand("TTL", "\(prefix):{t}:stream")).int == -1)
        }
    }

    @Test("an idempotency key is a string in the topic's slot holding <epoch> <id>, expiring after the window")
    func idempotencyKeyLayout() async throws {
        try await withBroker(retention: RetentionPolicy(idempotencyWindow: .seconds(90))) { broker, redis, prefix in
            var keyed = try event("t", "once")
            keyed.idempotencyKey = "k-1"
            let first = try await broker.publish([keyed])
            let again = try await broker.publish([keyed])
            #expect(again == first)
            #expect(try await redis.send(RedisCommand("XLEN", "\(prefix):{t}:stream")).int == 1)
            let stored = try await redis.send(RedisCommand("GET", "\(prefix):{t}:idem:k-1")).string
            #expect(stored == "\(first[0].epoch) \(first[0].id)")
            let ttl = try await redis.send(RedisCommand("PTTL", "\(prefix):{t}:idem:k-1")).int ?? 0
            #expect(ttl > 80_000 && ttl <= 90_000)
        }
    }

    @Test("with a maximum age, the stream and meta keys expire (the meta hash later)")
    func maxAgeExpiry() async throws {
        try await withBroker(retention: RetentionPolicy(maxLength: 100, maxAge: .seconds(60))) { broker, redis, prefix in
            _ = try await broker.publish([try event("aged", "x")])
            let streamTTL = try await redis.send(RedisCommand("PTTL", "\(prefix):{aged}:stream")).int ?? 0
            let metaTTL = try await redis.send(RedisCommand("PTTL", "\(prefix):{aged}:meta")).int ?? 0
            #expect(streamTTL > 0 && streamTTL <= 60_000)
            #expect(metaTTL > 60_000)
        }
    }

    @Test("publishing recovers when Redis lost its scripts")
    func noScriptRecovery() async throws {
        try await withBroker { broker, redis, _ in
            _ = try await broker.publish([try event("s", "1")])
            #expect(try await redis.send(RedisCommand("SCRIPT", "FLUSH")).string == "OK")
            let positions = try await broker.publish([try event("s", "2"), try event("s", "3")])
            #expect(positions.map(\.id.ordinal) == [2, 3])
            let history = try await broker.history(of: try Topic("s"), after: .zero, limit: 10)
            #expect(history.events.map { String(buffer: $0.data) } == ["1", "2", "3"])
        }
    }

    @Test("a batch costs one script call per run of consecutive same-topic events (at most 256 each), stored in order")
    func scriptCallPerRun() async throws {
        try await withBroker { broker, redis, prefix in
            _ = try await broker.publish([try event("warm", "up")])  // loads the script
            let before = try await evalshaCalls(redis)
            let batch = try (1...300).map { try event("a", "a\($0)") } + [try event("b", "b1"), try event("a", "a301")]
            let positions = try await broker.publish(batch)
            // Runs: a 1–256, a 257–300, b 1, a 301.
            #expect(try await evalshaCalls(redis) - before == 4)
            #expect(positions.count == batch.count)
            #expect(positions.filter { $0.epoch == positions[0].epoch }.count == 301)
            #expect(positions.prefix(300).map(\.id.ordinal) == Array(1...300))
            #expect(positions[300].id.ordinal == 1 && positions[301].id.ordinal == 301)
            let history = try await broker.history(of: try Topic("a"), after: .zero, limit: 1000)
            #expect(history.events.map { String(buffer: $0.data) } == (1...301).map { "a\($0)" })
            #expect(history.events.map(\.position) == Array(positions.prefix(300)) + [positions[301]])
            let meta = try await redis.send(RedisCommand("HGET", "\(prefix):{a}:meta", "n")).string
            #expect(meta == "301")
        }
    }

    @Test("within one run, an idempotency key repeated or seen before stores the event once and returns its position")
    func idempotencyWithinRun() async throws {
        try await withBroker { broker, redis, prefix in
            var seenBefore = try event("t", "first")
            seenBefore.idempotencyKey = "old"
            let earlier = try await broker.publish([seenBefore])
            var repeated = try event("t", "twice")
            repeated.idempotencyKey = "new"
            let positions = try await broker.publish([try event("t", "plain"), repeated, seenBefore, repeated, try event("t", "last")])
            #expect(positions[2] == earlier[0])
            #expect(positions[1] == positions[3])
            #expect(positions.map(\.id.ordinal) == [2, 3, 1, 3, 4])
            let stored = try await redis.send(RedisCommand("XRANGE", "\(prefix):{t}:stream", "-", "+")).array ?? []
            #expect(stored.count == 4)
        }
    }

    func evalshaCalls(_ redis: RedisConnection) async throws -> Int {
        try await RedisBrokerHarness.calls(of: "evalsha", on: redis)
    }

    @Test("the live envelope decodes to the stored event, data byte for byte")
    func envelope() throws {
        let topic = try Topic("t")
        let payload = ByteBuffer(string: "42 1795-7 kind\nline 1\nline 2 with spaces ")
        let event = try #require(RedisBroker.Envelope.decode(payload, topic: topic))
        #expect(event.position == TopicPosition(epoch: 42, id: StreamID(milliseconds: 1795, ordinal: 7)))
        #expect(event.type == "kind")
        #expect(String(buffer: event.data) == "line 1\nline 2 with spaces ")
        #expect(RedisBroker.Envelope.decode(ByteBuffer(string: "42 1795-7 \nplain"), topic: topic)?.type == nil)
        #expect(RedisBroker.Envelope.decode(ByteBuffer(string: "garbage"), topic: topic) == nil)
        var shifted = ByteBuffer(string: "skip:7 1-2 \nx")
        shifted.moveReaderIndex(forwardBy: 5)
        let decoded = try #require(RedisBroker.Envelope.decode(shifted, topic: topic))
        #expect(decoded.position == TopicPosition(epoch: 7, id: StreamID(milliseconds: 1, ordinal: 2)) && String(buffer: decoded.data) == "x")
        for malformed in ["+42 1795-7 \nx", "42 +1795-7 \nx", "42 1795--7 \nx", "4294967296 1-1 \nx", "42 1795-7\nx", " 1795-7 \nx"] {
            #expect(RedisBroker.Envelope.decode(ByteBuffer(string: malformed), topic: topic) == nil, "\(malformed)")
        }
    }
}
