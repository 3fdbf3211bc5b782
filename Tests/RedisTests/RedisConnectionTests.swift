import NIOCore
import Redis
import TestSupport
import Testing

@Suite(
    "RedisConnection against a real redis-server",
    .enabled(if: RedisTestEnvironment.isEnabled, "redis-server is not installed"),
    .timeLimit(.minutes(1))
)
struct RedisConnectionTests {
    private func withConnection<T>(
        _ body: (RedisConnection, RedisServerProcess) async throws -> T
    ) async throws -> T {
        try await RedisTestEnvironment.withServer { server in
            let connection = try await RedisConnection.connect(
                configuration: RedisTestEnvironment.configuration(for: server),
                eventLoop: RedisTestEnvironment.eventLoopGroup.next(),
                logger: RedisTestEnvironment.logger("connection")
            )
            do {
                let result = try await body(connection, server)
                await connection.close()
                return result
            } catch {
                await connection.close()
                throw error
            }
        }
    }

    @Test("PING answers PONG")
    func ping() async throws {
        try await self.withConnection { connection, _ in
            let reply = try await connection.send(RedisCommand("PING"))
            #expect(reply == .simpleString("PONG"))
            #expect(connection.isActive)
        }
    }

    @Test("A value written with SET is read back byte for byte with GET")
    func setThenGet() async throws {
        try await self.withConnection { connection, _ in
            let key = RedisTestEnvironment.uniquePrefix("set-get") + "k"
            let payload = ByteBuffer(bytes: [0x00, 0x0D, 0x0A, 0xFF, 0x41])
            let set = try await connection.send(RedisCommand("SET", [.string(key), .bytes(payload)]))
            let get = try await connection.send(RedisCommand("GET", key))
            let missing = try await connection.send(RedisCommand("GET", key + "missing"))
            #expect(set == .simpleString("OK"))
            #expect(get == .bulkString(payload))
            #expect(missing == .null)
        }
    }

    @Test("Ten thousand pipelined commands are all answered in order in one call")
    func tenThousandPipelined() async throws {
        try await self.withConnection { connection, _ in
            let key = RedisTestEnvironment.uniquePrefix("pipeline") + "counter"
            let commands = (0..<10_000).map { _ in RedisCommand("INCR", key) }
            let replies = try await connection.send(commands)
            #expect(replies.count == 10_000)
            #expect(replies.enumerated().allSatisfy { index, reply in reply == .integer(Int64(index + 1)) })
        }
    }

    @Test("Concurrent senders each get their own reply")
    func concurrentSenders() async throws {
        try await self.withConnection { connection, _ in
            let prefix = RedisTestEnvironment.uniquePrefix("concurrent")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<50 {
                    group.addTask {
                        let reply = try await connection.send(RedisCommand("ECHO", "\(prefix)\(index)"))
                        #expect(reply.string == "\(prefix)\(index)")
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    @Test("EVAL, SCRIPT LOAD and EVALSHA run scripts; an unknown script is a NOSCRIPT error reply")
    func scripts() async throws {
        try await self.withConnection { connection, _ in
            let key = RedisTestEnvironment.uniquePrefix("scripts") + "k"
            let script = "redis.call('SET', KEYS[1], ARGV[1]); return {redis.call('GET', KEYS[1]), 7}"
            let evalReply = try await connection.send(RedisCommand("EVAL", script, "1", key, "v1"))
            #expect(evalReply == .array([.bulkString(ByteBuffer(string: "v1")), .integer(7)]))

            let sha = try #require(try await connection.send(RedisCommand("SCRIPT", "LOAD", script)).string)
            let shaReply = try await connection.send(RedisCommand("EVALSHA", sha, "1", key, "v2"))
            #expect(shaReply.array?.first?.string == "v2")

            let missing = try await connection.send(RedisCommand("EVALSHA", String(repeating: "0", count: 40), "0"))
            #expect(missing.errorPrefix == "NOSCRIPT")
            let error = try #require(missing.serverError)
            #expect(error.code == .server)
            #expect(error.serverErrorPrefix == "NOSCRIPT")
        }
    }

    @Test("An error reply inside a pipeline does not hide the other replies")
    func errorInsidePipeline() async throws {
        try await self.withConnection { connection, _ in
            let key = RedisTestEnvironment.uniquePrefix("pipeline-error") + "k"
            let replies = try await connection.send([
                RedisCommand("SET", key, "text"),
                RedisCommand("INCR", key),
                RedisCommand("GET", key),
            ])
            #expect(replies.count == 3)
            #expect(replies[1].errorPrefix == "ERR")
            #expect(replies[2].string == "text")
        }
    }

    @Test("Commands pending when the connection closes fail with connectionClosed")
    func pendingCommandsFailOnClose() async throws {
        try await self.withConnection { connection, server in
            let observer = try await RedisConnection.connect(
                configuration: RedisTestEnvironment.configuration(for: server),
                eventLoop: RedisTestEnvironment.eventLoopGroup.next(),
                logger: RedisTestEnvironment.logger("observer")
            )
            let key = RedisTestEnvironment.uniquePrefix("close") + "l"
            async let blocked: Result<RESPValue, RedisError> = {
                do {
                    return .success(try await connection.send(RedisCommand("BLPOP", key, "10")))
                } catch let error as RedisError {
                    return .failure(error)
                } catch {
                    return .failure(RedisError(.protocolError, message: "unexpected \(error)"))
                }
            }()
            // Barrier: Redis itself reports the BLPOP as running before we close.
            let isBlocked = try await RedisTestEnvironment.eventually {
                try await observer.send(RedisCommand("CLIENT", "LIST")).string?.contains("cmd=blpop") == true
            }
            #expect(isBlocked)
            await observer.close()
            await connection.close()
            let outcome = await blocked
            #expect(throws: RedisError.self) { try outcome.get() }
            if case .failure(let error) = outcome {
                #expect(error.code == .connectionClosed)
            }
            let afterClose = await #expect(throws: RedisError.self) { try await connection.send(RedisCommand("PING")) }
            #expect(afterClose?.code == .connectionClosed)
        }
    }

    @Test("A command Redis does not answer in time fails with timeout and closes the connection")
    func commandTimeout() async throws {
        try await RedisTestEnvironment.withServer { server in
            var configuration = try RedisTestEnvironment.configuration(for: server)
            configuration.commandTimeout = .milliseconds(200)
            let connection = try await RedisConnection.connect(
                configuration: configuration,
                eventLoop: RedisTestEnvironment.eventLoopGroup.next(),
                logger: RedisTestEnvironment.logger("timeout")
            )
            let key = RedisTestEnvironment.uniquePrefix("timeout") + "l"
            let error = await #expect(throws: RedisError.self) {
                try await connection.send(RedisCommand("BLPOP", key, "5"))
            }
            #expect(error?.code == .timeout)
            #expect(await RedisTestEnvironment.eventually { !connection.isActive })
        }
    }

    @Test("A wrong password is refused at connect with an authentication error")
    func wrongPasswordIsRefused() async throws {
        try await RedisTestEnvironment.withServer { server in
            var configuration = try RedisTestEnvironment.configuration(for: server)
            configuration.password = "not-the-password"
            let error = await #expect(throws: RedisError.self) {
                try await RedisConnection.connect(
                    configuration: configuration,
                    eventLoop: RedisTestEnvironment.eventLoopGroup.next(),
                    logger: RedisTestEnvironment.logger("auth")
                )
            }
            #expect(error?.code == .authentication)
            #expect(error?.message.contains("not-the-password") == false)
        }
    }

    @Test("SELECT is sent when a database is configured")
    func selectDatabase() async throws {
        try await RedisTestEnvironment.withServer { server in
            var configuration = try RedisTestEnvironment.configuration(for: server)
            configuration.database = 2
            let connection = try await RedisConnection.connect(
                configuration: configuration,
                eventLoop: RedisTestEnvironment.eventLoopGroup.next(),
                logger: RedisTestEnvironment.logger("select")
            )
            let info = try await connection.send(RedisCommand("CLIENT", "INFO"))
            await connection.close()
            #expect(info.string?.contains("db=2") == true)
        }
    }
}
