import NIOCore
import NIOPosix

/// The publishers of the `tokens` load: one connection per generation (`request`, `stream`), or the
/// gathering publishers (`batch`), spread over the loops of a group, each loop driven by one ``TokenLoop``.
///
/// Guarantees: every generation produces `tokensPerSecond` tokens from the start to the deadline, the
/// generations spread evenly over one token period; a generation's tokens reach the server in sequence order
/// (one request in flight per connection, or one streaming request); the publishers finish their last
/// requests within `drainLimit` of the deadline, and every connection is closed when ``run(group:duration:)``
/// returns.
struct TokenPublisherPool: Sendable {
    var target: BenchTarget
    var server: BenchServer
    var load: TokenLoad
    var topicPrefix = "bench"
    // why: a tick of 1 ms keeps the production times within 1 ms of the even schedule and costs one timer
    // task per loop per millisecond, whatever the number of generations.
    var tick = TimeAmount.milliseconds(1)
    // why: a publisher that fell behind still sends what it queued; 5 s bounds that, like the delivery drain.
    var drainLimit = TimeAmount.seconds(5)
    // why: enough parallel connects to open 4,000 publisher connections in about a second, well inside a
    // 1,024 listen backlog.
    var connectConcurrency = 128

    /// Connects, produces for `duration` and closes; returns the merged tally and the publish window in
    /// seconds (start to last answer).
    func run(group: any EventLoopGroup, duration: Duration) async throws -> (TokenTally, window: Double) {
        let loops = Array(group.makeIterator())
        let encoder = TokenRequestEncoder(server: server, host: target.host, port: target.port, topicPrefix: topicPrefix)
        let period = Int64((1e9 / load.tokensPerSecond).rounded())
        let connections = load.connections
        var generationsOfLoop = Array(repeating: [Int](), count: loops.count)
        for generation in 0..<load.generations {
            generationsOfLoop[load.connection(ofGeneration: generation) % loops.count].append(generation)
        }
        var dones: [EventLoopFuture<TokenTally>] = []
        var drivers: [NIOLoopBound<TokenLoop>] = []
        for (loop, generations) in zip(loops, generationsOfLoop) {
            let done = loop.makePromise(of: TokenTally.self)
            dones.append(done.futureResult)
            drivers.append(try await loop.submit {
                NIOLoopBound(TokenLoop(generations: generations, total: load.generations, period: period, done: done), eventLoop: loop)
            }.get())
        }
        let channels: [any Channel]
        do {
            channels = try await connect(connections: connections, loops: loops, drivers: drivers, encoder: encoder)
        } catch {
            for (loop, driver) in zip(loops, drivers) { try? await loop.submit { driver.value.cancel(error) }.get() }
            throw error
        }
        defer { for channel in channels { channel.close(promise: nil) } }

        // why: 50 ms lets every loop get its start before the first tick.
        let start = NIODeadline.now() + .milliseconds(50)
        let deadline = start + TimeAmount(duration)
        for (loop, driver) in zip(loops, drivers) {
            try await loop.submit { [tick, drainLimit] in
                driver.value.run(on: loop, start: start, deadline: deadline, tick: tick, limit: drainLimit)
            }.get()
        }
        var total = TokenTally(generations: load.generations)
        for done in dones { total.merge(try await done.get()) }
        let window = Double((NIODeadline.now() - start).nanoseconds) / 1e9
        total.outcome.activeConnections = channels.count
        total.outcome.maxScheduleLagMicroseconds = Int64(total.wait.max)
        for channel in channels { try? await channel.close() }
        return (total, window)
    }

    private func connect(
        connections: Int, loops: [any EventLoop], drivers: [NIOLoopBound<TokenLoop>], encoder: TokenRequestEncoder
    ) async throws -> [any Channel] {
        let address = try SocketAddress(ipAddress: target.host, port: target.port)
        var channels: [any Channel] = []
        var firstError: (any Error)?
        await BoundedConnects.run(count: connections, concurrency: connectConcurrency, perSecond: nil) { [load] connection in
            let loop = loops[connection % loops.count]
            let driver = drivers[connection % loops.count]
            let generations = stride(from: connection, to: load.generations, by: connections)
            do {
                let channel = try await ClientBootstrap(group: loop)
                    // why: loopback connects finish in microseconds; 10 s only catches a server that is not there.
                    .connectTimeout(.seconds(10))
                    .channelOption(.socketOption(.tcp_nodelay), value: 1)
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            let owner = driver.value
                            let sink: any TokenSink & ChannelHandler
                            switch load.feed {
                            case .request: sink = TokenRequestHandler(encoder: encoder, owner: owner)
                            case .stream: sink = TokenStreamHandler(encoder: encoder, generation: connection, owner: owner)
                            case .batch: sink = TokenBatchHandler(encoder: encoder, window: .nanoseconds(Int64(load.windowMilliseconds * 1e6)), owner: owner)
                            }
                            try channel.pipeline.syncOperations.addHandler(sink)
                            owner.register(sink, generations: generations)
                        }
                    }
                    .connect(to: address)
                    .get()
                return Result<any Channel, any Error>.success(channel)
            } catch {
                return .failure(error)
            }
        } record: { _, result in
            switch result {
            case .success(let channel): channels.append(channel)
            case .failure(let error): firstError = firstError ?? error
            }
        }
        if let firstError {
            for channel in channels { channel.close(promise: nil) }
            throw BenchError("a token publisher could not connect: \(firstError)")
        }
        return channels
    }
}
