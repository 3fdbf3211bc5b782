import NIOCore
import NIOPosix

/// What publishers did, merged over connections.
struct PublishOutcome: Sendable {
    /// Events acknowledged with a 2xx, per topic index.
    var acknowledgedPerTopic: [UInt64]
    /// Events acknowledged with a 2xx (a batch of N counts N).
    var acknowledged: UInt64 = 0
    /// Requests acknowledged with a 2xx.
    var requestsAcknowledged: UInt64 = 0
    /// Events answered with another status, or lost with their connection.
    var failed: UInt64 = 0
    var firstError: String?
    /// Request written → response complete, in microseconds.
    var latency = LatencyHistogram()
    /// How late the most delayed send was against its schedule (open loop), in microseconds.
    var maxScheduleLagMicroseconds: Int64 = 0
    var activeConnections = 0

    init(topics: Int) {
        acknowledgedPerTopic = Array(repeating: 0, count: topics)
    }

    /// Counts `events` as failed (0 when none was in flight), keeping the first reason given.
    mutating func fail(_ events: UInt64, because reason: String) {
        failed += events
        if firstError == nil { firstError = reason }
    }

    mutating func merge(_ other: PublishOutcome) {
        for index in acknowledgedPerTopic.indices { acknowledgedPerTopic[index] += other.acknowledgedPerTopic[index] }
        acknowledged += other.acknowledged
        requestsAcknowledged += other.requestsAcknowledged
        failed += other.failed
        firstError = firstError ?? other.firstError
        latency.merge(other.latency)
        maxScheduleLagMicroseconds = max(maxScheduleLagMicroseconds, other.maxScheduleLagMicroseconds)
        activeConnections += other.activeConnections
    }
}

/// Publishers: `connections` keep-alive connections, spread over the loops of a group, each driven on its
/// event loop by a ``PublishLoopHandler``.
///
/// Guarantees: topic *t* is always published by connection *t mod connections*, and each connection has
/// one request in flight, so every topic's events reach the server in sequence order. Open loop: together
/// the connections send `rate` events per second (a connection that falls behind sends on each answer);
/// closed loop: each sends its next request as soon as the previous one is answered. Only connections that
/// own at least one topic publish, so there are min(connections, topics) of them. Every connection is
/// closed when ``run(group:duration:)`` returns.
struct PublisherPool: Sendable {
    var target: BenchTarget
    var server: BenchServer
    var connections: Int
    var topics: Int
    /// Events per second in total; `nil` for closed loop.
    var rate: Double?
    var batch: Int
    var payloadSize: Int
    var topicPrefix = "bench"

    /// Connects, publishes for `duration` and closes; returns the outcome and the publish window in seconds
    /// (first send to last answer).
    func run(group: any EventLoopGroup, duration: Duration) async throws -> (PublishOutcome, window: Double) {
        let active = min(connections, topics)
        let encoder = PublishRequestEncoder(server: server, host: target.host, port: target.port, payloadSize: payloadSize, topicPrefix: topicPrefix)
        let interval = rate.map { TimeAmount.nanoseconds(Int64(1e9 * Double(batch) * Double(active) / $0)) }
        let address = try SocketAddress(ipAddress: target.host, port: target.port)
        var channels: [(any Channel, EventLoopFuture<PublishOutcome>)] = []
        defer { for (channel, _) in channels { channel.close(promise: nil) } }
        for index in 0..<active {
            let loop = group.next()
            let done = loop.makePromise(of: PublishOutcome.self)
            let owned = stride(from: index, to: topics, by: active).map { encoder.topic(index: $0) }
            let channel: any Channel
            do {
                channel = try await ClientBootstrap(group: loop)
                    // why: loopback connects finish in microseconds; 10 s only catches a server that is not there.
                    .connectTimeout(.seconds(10))
                    .channelOption(.socketOption(.tcp_nodelay), value: 1)
                    .channelInitializer { [topics, batch] channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(
                                PublishLoopHandler(encoder: encoder, topics: owned, topicCount: topics, batch: batch, interval: interval, done: done)
                            )
                        }
                    }
                    .connect(to: address)
                    .get()
            } catch {
                // why: the handler that completes `done` was never added; a dropped promise is a leak NIO traps on.
                done.fail(error)
                throw error
            }
            channels.append((channel, done.futureResult))
        }
        let start = NIODeadline.now()
        let begin = PublishLoopHandler.Start(start: start, deadline: start + TimeAmount(duration))
        for (channel, _) in channels { channel.pipeline.fireUserInboundEventTriggered(begin) }
        var total = PublishOutcome(topics: topics)
        for (_, done) in channels { total.merge(try await done.get()) }
        let window = Double((NIODeadline.now() - start).nanoseconds) / 1e9
        for (channel, _) in channels { try? await channel.close() }
        channels.removeAll()
        return (total, window)
    }
}
