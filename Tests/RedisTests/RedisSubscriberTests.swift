import NIOCore
import Redis
import TestSupport
import Testing

@Suite(
    "RedisSubscriber sharded pub/sub against a real redis-server",
    .enabled(if: RedisTestEnvironment.isEnabled, "redis-server is not installed"),
    .timeLimit(.minutes(1))
)
struct RedisSubscriberTests {
    /// A subscriber whose callbacks feed streams, a publisher connection, and the server.
    struct Harness {
        var server: RedisServerProcess
        var subscriber: RedisSubscriber
        var publisher: RedisConnection
        var messages: AsyncStream<RedisPubSubMessage>
        var resubscriptions: AsyncStream<[String]>

        func shardSubscriberCount(_ channel: String) async throws -> Int64? {
            let reply = try await self.publisher.send(RedisCommand("PUBSUB", "SHARDNUMSUB", channel))
            return reply.array?.last?.int
        }

        func ssubscribeCalls() async throws -> Int {
            let info = try await self.publisher.send(RedisCommand("INFO", "commandstats")).string ?? ""
            guard let line = info.split(separator: "\r\n").first(where: { $0.hasPrefix("cmdstat_ssubscribe:") }),
                let calls = line.split(separator: ",").first?.split(separator: "=").last
            else {
                return 0
            }
            return Int(calls) ?? 0
        }

        func publish(_ channel: String, _ payload: String) async throws {
            _ = try await self.publisher.send(RedisCommand("SPUBLISH", channel, payload))
        }
    }

    private func withHarness(_ body: (Harness) async throws -> Void) async throws {
        try await RedisTestEnvironment.withServer { server in
            let configuration = try RedisTestEnvironment.configuration(for: server)
            let (messages, messageSink) = AsyncStream.makeStream(of: RedisPubSubMessage.self)
            let (resubscriptions, resubscriptionSink) = AsyncStream.makeStream(of: [String].self)
            let subscriber = RedisSubscriber(
                configuration: configuration,
                eventLoopGroup: RedisTestEnvironment.eventLoopGroup,
                logger: RedisTestEnvironment.logger("subscriber"),
                onMessages: { batch in
                    for message in batch {
                        messageSink.yield(message)
                    }
                },
                onResubscribed: { channels in resubscriptionSink.yield(channels) }
            )
            let publisher = try await RedisConnection.connect(
                configuration: configuration,
                eventLoop: RedisTestEnvironment.eventLoopGroup.next(),
                logger: RedisTestEnvironment.logger("publisher")
            )
            let harness = Harness(
                server: server,
                subscriber: subscriber,
                publisher: publisher,
                messages: messages,
                resubscriptions: resubscriptions
            )
            do {
                try await RedisTestEnvironment.withRunning(subscriber.run) {
                    #expect(await RedisTestEnvironment.eventually { subscriber.isConnected })
                    try await body(harness)
                }
            } catch {
                await publisher.close()
                throw error
            }
            await publisher.close()
        }
    }

    @Test("Two local subscribers to one channel send one SSUBSCRIBE; the last unsubscribe ends it")
    func sharedSubscription() async throws {
        try await self.withHarness { harness in
            let channel = RedisTestEnvironment.uniquePrefix("shared") + "chan"
            try await harness.subscriber.subscribe(to: channel)
            try await harness.subscriber.subscribe(to: channel)
            #expect(try await harness.shardSubscriberCount(channel) == 1)
            #expect(try await harness.ssubscribeCalls() == 1)

            harness.subscriber.unsubscribe(from: channel)
            try await harness.publish(channel, "still here")
            let received = await harness.messages.prefix(1, within: .seconds(10))
            #expect(received.map { String(buffer: $0.payload) } == ["still here"])
            #expect(received.first?.channel == channel)
            #expect(try await harness.shardSubscriberCount(channel) == 1)

            harness.subscriber.unsubscribe(from: channel)
            #expect(try await RedisTestEnvironment.eventually {
                try await harness.shardSubscriberCount(channel) == 0
            })
        }
    }

    @Test("After N channels were subscribed and left, the subscriber holds no entry for any of them")
    func entriesAreReleased() async throws {
        try await self.withHarness { harness in
            let prefix = RedisTestEnvironment.uniquePrefix("entries")
            let channels = (0..<200).map { "\(prefix){user/\($0)}" }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for channel in channels { group.addTask { try await harness.subscriber.subscribe(to: channel) } }
                try await group.waitForAll()
            }
            #expect(await harness.subscriber.entries().channels == channels.count)
            for channel in channels { harness.subscriber.unsubscribe(from: channel) }
            #expect(await RedisTestEnvironment.eventually {
                let entries = await harness.subscriber.entries()
                return entries.channels + entries.resubscribing + entries.waiters + entries.pendingReplies == 0
            })
            #expect(try await harness.shardSubscriberCount(channels[0]) == 0)
        }
    }

    @Test("A thousand pipelined SPUBLISH messages arrive complete and in order")
    func messagesArriveInOrder() async throws {
        try await self.withHarness { harness in
            let channel = RedisTestEnvironment.uniquePrefix("order") + "chan"
            try await harness.subscriber.subscribe(to: channel)
            let commands = (0..<1_000).map { RedisCommand("SPUBLISH", channel, "m\($0)") }
            let replies = try await harness.publisher.send(commands)
            #expect(replies.allSatisfy { $0 == .integer(1) })
            let received = await harness.messages.prefix(1_000, within: .seconds(20))
            #expect(received.map { String(buffer: $0.payload) } == (0..<1_000).map { "m\($0)" })
        }
    }

    @Test("Binary payloads are delivered byte for byte")
    func binaryPayload() async throws {
        try await self.withHarness { harness in
            let channel = RedisTestEnvironment.uniquePrefix("binary") + "chan"
            try await harness.subscriber.subscribe(to: channel)
            let payload = ByteBuffer(bytes: [0x00, 0x0D, 0x0A, 0xFF])
            _ = try await harness.publisher.send(RedisCommand("SPUBLISH", [.string(channel), .bytes(payload)]))
            let received = await harness.messages.prefix(1, within: .seconds(10))
            #expect(received.first?.payload == payload)
        }
    }

    @Test("After a server restart the subscriber re-subscribes, reports it and receives again")
    func resubscribesAfterRestart() async throws {
        try await self.withHarness { harness in
            let prefix = RedisTestEnvironment.uniquePrefix("restart")
            let channels = [prefix + "a", prefix + "b"]
            for channel in channels {
                try await harness.subscriber.subscribe(to: channel)
            }
            try await harness.server.restart()
            let reported = await harness.resubscriptions.prefix(1, within: .seconds(20))
            #expect(reported.first?.sorted() == channels)
            #expect(harness.subscriber.isConnected)

            // The publisher's connection died with the old server; use a fresh one.
            let publisher = try await RedisConnection.connect(
                configuration: RedisTestEnvironment.configuration(for: harness.server),
                eventLoop: RedisTestEnvironment.eventLoopGroup.next(),
                logger: RedisTestEnvironment.logger("publisher-2")
            )
            _ = try await publisher.send(RedisCommand("SPUBLISH", channels[1], "after restart"))
            await publisher.close()
            let received = await harness.messages.prefix(1, within: .seconds(10))
            #expect(received.map { String(buffer: $0.payload) } == ["after restart"])
        }
    }

    @Test("Subscribing while not connected throws connectionUnavailable and counts nothing")
    func subscribeWithoutConnection() async throws {
        try await RedisTestEnvironment.withServer { server in
            let subscriber = RedisSubscriber(
                configuration: try RedisTestEnvironment.configuration(for: server),
                eventLoopGroup: RedisTestEnvironment.eventLoopGroup,
                logger: RedisTestEnvironment.logger("subscriber-down"),
                onMessages: { _ in }
            )
            let error = await #expect(throws: RedisError.self) { try await subscriber.subscribe(to: "nowhere") }
            #expect(error?.code == .connectionUnavailable)
            #expect(!subscriber.isConnected)
        }
    }
}
