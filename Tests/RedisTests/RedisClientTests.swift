import Redis
import Testing

@Suite(
    "RedisClient connection pool against a real redis-server",
    .enabled(if: RedisTestEnvironment.isEnabled, "redis-server is not installed"),
    .timeLimit(.minutes(1))
)
struct RedisClientTests {
    @Test("A running client sends commands round-robin over its connections")
    func sendsCommands() async throws {
        try await RedisTestEnvironment.withServer { server in
            let client = try RedisTestEnvironment.client(for: server, label: "client")
            try await RedisTestEnvironment.withRunning(client.run) {
                try await client.waitUntilConnected(timeout: .seconds(5))
                #expect(client.isConnected)
                let key = RedisTestEnvironment.uniquePrefix("client") + "k"
                #expect(try await client.send(RedisCommand("SET", key, "v")) == .simpleString("OK"))
                #expect(try await client.send([RedisCommand("GET", key), RedisCommand("PING")])
                    == [.bulkString(.init(string: "v")), .simpleString("PONG")])
                // Both pool connections come up; CLIENT ID differs between them.
                #expect(try await RedisTestEnvironment.eventually {
                    var ids = Set<Int64>()
                    for _ in 0..<4 {
                        if let id = try await client.send(RedisCommand("CLIENT", "ID")).int {
                            ids.insert(id)
                        }
                    }
                    return ids.count == 2
                })
            }
        }
    }

    @Test("Sending without a connection throws connectionUnavailable at once")
    func unavailableWhenServerIsDown() async throws {
        try await RedisTestEnvironment.withServer { server in
            let client = try RedisTestEnvironment.client(for: server, label: "client-down")
            let beforeRun = await #expect(throws: RedisError.self) { try await client.send(RedisCommand("PING")) }
            #expect(beforeRun?.code == .connectionUnavailable)

            server.stop()
            try await RedisTestEnvironment.withRunning(client.run) {
                let error = await #expect(throws: RedisError.self) { try await client.send(RedisCommand("PING")) }
                #expect(error?.code == .connectionUnavailable)
                let wait = await #expect(throws: RedisError.self) {
                    try await client.waitUntilConnected(timeout: .milliseconds(200))
                }
                #expect(wait?.code == .timeout)
            }
        }
    }

    @Test("The client reconnects after the server restarts")
    func reconnectsAfterRestart() async throws {
        try await RedisTestEnvironment.withServer { server in
            let client = try RedisTestEnvironment.client(for: server, label: "client-restart")
            try await RedisTestEnvironment.withRunning(client.run) {
                try await client.waitUntilConnected(timeout: .seconds(5))
                try await server.restart()
                let recovered = await RedisTestEnvironment.eventually {
                    (try? await client.send(RedisCommand("PING"))) == .simpleString("PONG")
                }
                #expect(recovered)
            }
        }
    }

    @Test("After the run ends, sends fail with connectionUnavailable")
    func stopsOnCancellation() async throws {
        try await RedisTestEnvironment.withServer { server in
            let client = try RedisTestEnvironment.client(for: server, label: "client-stop")
            try await RedisTestEnvironment.withRunning(client.run) {
                try await client.waitUntilConnected(timeout: .seconds(5))
            }
            #expect(!client.isConnected)
            let error = await #expect(throws: RedisError.self) { try await client.send(RedisCommand("PING")) }
            #expect(error?.code == .connectionUnavailable)
        }
    }
}
