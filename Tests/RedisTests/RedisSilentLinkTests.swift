import NIOCore
import Redis
import TestSupport
import Testing

/// Redis connections through a ``TCPRelay`` that goes silent (stops forwarding, closes nothing): the health
/// check must find the silence, treat it as a lost connection, and reconnect once the link recovers.
@Suite(
    "Redis connections over a link that goes silent, against a real redis-server",
    .enabled(if: RedisTestEnvironment.isEnabled, "redis-server is not installed"),
    .timeLimit(.minutes(1))
)
struct RedisSilentLinkTests {
    /// The test configuration, through `relay`, with a fast health check.
    static func configuration(_ server: RedisServerProcess, relay: TCPRelay) throws -> RedisConfiguration {
        var configuration = try RedisTestEnvironment.configuration(for: server)
        configuration.port = relay.port
        // why: short, so that the test takes seconds; the rule is the same at the defaults (1 s, 3 s). 1.5 s, not
        // less: a loaded 2-core CI box answered a healthy PING after more than 400 ms.
        configuration.healthCheckInterval = .milliseconds(250)
        configuration.healthCheckTimeout = .milliseconds(1500)
        return configuration
    }

    @Test("a subscriber whose link goes silent reports the loss, and is re-subscribed once the link recovers")
    func silentSubscriber() async throws {
        try await RedisTestEnvironment.withServer { server in
            let relay = try await TCPRelay.start(upstreamPort: server.port)
            defer { relay.stop() }
            let (losses, lossSink) = AsyncStream.makeStream(of: Void.self)
            let (resubscriptions, resubscriptionSink) = AsyncStream.makeStream(of: [String].self)
            let (messages, messageSink) = AsyncStream.makeStream(of: String.self)
            let subscriber = RedisSubscriber(
                configuration: try Self.configuration(server, relay: relay),
                eventLoopGroup: RedisTestEnvironment.eventLoopGroup,
                logger: RedisTestEnvironment.logger("silent-subscriber"),
                onMessages: { batch in batch.forEach { messageSink.yield(String(buffer: $0.payload)) } },
                onResubscribed: { resubscriptionSink.yield($0) },
                onConnectionLost: { lossSink.yield() }
            )
            let publisher = try await RedisConnection.connect(
                configuration: try RedisTestEnvironment.configuration(for: server),
                eventLoop: RedisTestEnvironment.eventLoopGroup.next(),
                logger: RedisTestEnvironment.logger("publisher")
            )
            let channel = RedisTestEnvironment.uniquePrefix("silent") + "chan"
            try await RedisTestEnvironment.withRunning(subscriber.run) {
                #expect(await RedisTestEnvironment.eventually { subscriber.isConnected })
                try await subscriber.subscribe(to: channel)
                relay.goSilent()
                _ = try await publisher.send(RedisCommand("SPUBLISH", channel, "lost"))
                #expect(await losses.prefix(1, within: .seconds(10)).count == 1, "the silent link is reported lost")
                #expect(!subscriber.isConnected)
                relay.resume()
                let renewed = await resubscriptions.prefix(1, within: .seconds(10))
                #expect(renewed.first == [channel], "the channel is subscribed again on the new connection")
                _ = try await publisher.send(RedisCommand("SPUBLISH", channel, "after"))
                #expect(await messages.prefix(1, within: .seconds(10)) == ["after"])
            }
            await publisher.close()
        }
    }

    @Test("a command on a silent link fails with timeout, later ones fail at once, and the client reconnects when the link recovers")
    func silentCommandConnection() async throws {
        try await RedisTestEnvironment.withServer { server in
            let relay = try await TCPRelay.start(upstreamPort: server.port)
            defer { relay.stop() }
            var configuration = try Self.configuration(server, relay: relay)
            configuration.commandConnectionCount = 1
            let client = RedisClient(configuration: configuration, eventLoopGroup: RedisTestEnvironment.eventLoopGroup, logger: RedisTestEnvironment.logger("silent-client"))
            try await RedisTestEnvironment.withRunning(client.run) {
                try await client.waitUntilConnected(timeout: .seconds(10))
                relay.goSilent()
                let pending = await #expect(throws: RedisError.self) { try await client.send(RedisCommand("PING")) }
                #expect(pending?.code == .timeout, "\(String(describing: pending))")
                #expect(await RedisTestEnvironment.eventually { !client.isConnected })
                let later = await #expect(throws: RedisError.self) { try await client.send(RedisCommand("PING")) }
                #expect(later?.code == .connectionUnavailable, "a reconnect through the silent link never becomes usable")
                relay.resume()
                try await client.waitUntilConnected(timeout: .seconds(10))
                #expect(try await client.send(RedisCommand("PING")) == .simpleString("PONG"))
            }
        }
    }
}
