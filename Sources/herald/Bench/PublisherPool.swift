import NIOCore
import NIOPosix

/// Open-loop publishers: `connections` keep-alive connections that together send `rate` events per
/// second for a fixed time, cycling through the topics.
///
/// Guarantees: topic *t* is always published by connection *t mod connections*, and each connection has
/// one request in flight, so every topic's events reach the server in sequence order. Each connection
/// sends on a fixed schedule (event *n* is due at start + n / its rate); when it falls behind it sends
/// the next event as soon as the previous one is acknowledged, and it stops sending at the deadline,
/// whatever is left. Only connections that own at least one topic publish, so the rate is split
/// between min(connections, topics) of them.
struct PublisherPool: Sendable {
    /// What the publishers did, merged over connections.
    struct Outcome: Sendable {
        /// Events acknowledged with 200, per topic index.
        var acknowledgedPerTopic: [UInt64]
        var acknowledged: UInt64 = 0
        /// Requests answered with another status, or lost with their connection.
        var failed: UInt64 = 0
        var firstError: String?
        /// Request sent → response complete, in microseconds.
        var latency = LatencyHistogram()
        /// How late the most delayed send was against its schedule, in microseconds.
        var maxScheduleLagMicroseconds: Int64 = 0
        var activeConnections = 0

        mutating func merge(_ other: Outcome) {
            for index in acknowledgedPerTopic.indices { acknowledgedPerTopic[index] += other.acknowledgedPerTopic[index] }
            acknowledged += other.acknowledged
            failed += other.failed
            firstError = firstError ?? other.firstError
            latency.merge(other.latency)
            maxScheduleLagMicroseconds = max(maxScheduleLagMicroseconds, other.maxScheduleLagMicroseconds)
            activeConnections += other.activeConnections
        }
    }

    var target: BenchTarget
    var connections: Int
    var topics: Int
    var rate: Double
    var payloadSize: Int

    /// Connects, publishes until `deadline` starting at `start`, and closes the connections.
    func run(group: any EventLoopGroup, start: ContinuousClock.Instant, deadline: ContinuousClock.Instant) async throws -> Outcome {
        let active = min(connections, topics)
        var publishers: [PublisherConnection] = []
        for _ in 0..<active {
            publishers.append(try await PublisherConnection.connect(to: target, on: group.next()))
        }
        let perConnectionRate = rate / Double(active)
        var total = Outcome(acknowledgedPerTopic: Array(repeating: 0, count: topics))
        await withTaskGroup(of: Outcome.self) { tasks in
            for (index, publisher) in publishers.enumerated() {
                tasks.addTask {
                    await publish(on: publisher, index: index, stride: active, rate: perConnectionRate, start: start, deadline: deadline)
                }
            }
            for await outcome in tasks { total.merge(outcome) }
        }
        for publisher in publishers { await publisher.close() }
        return total
    }

    private func publish(
        on publisher: PublisherConnection, index: Int, stride: Int, rate: Double,
        start: ContinuousClock.Instant, deadline: ContinuousClock.Instant
    ) async -> Outcome {
        var outcome = Outcome(acknowledgedPerTopic: Array(repeating: 0, count: topics))
        outcome.activeConnections = 1
        let owned = Array(Swift.stride(from: index, to: topics, by: stride))
        var sequences = Array(repeating: UInt64(0), count: owned.count)
        let interval = Duration.nanoseconds(Int64(1e9 / rate))
        var sent = 0
        while true {
            let due = start + interval * sent
            guard due < deadline else { break }
            if due > .now { try? await Task.sleep(until: due, clock: .continuous) }
            let sendTime = ContinuousClock.now
            guard sendTime < deadline else { break }
            outcome.maxScheduleLagMicroseconds = max(outcome.maxScheduleLagMicroseconds, Int64((sendTime - due).seconds * 1e6))
            let slot = sent % owned.count
            let topicIndex = owned[slot]
            sequences[slot] += 1
            let payload = BenchPayload(sequence: sequences[slot], timestamp: BenchPayload.wallClockNanoseconds())
            let topic = "bench-\(topicIndex)"
            sent += 1
            do {
                let status = try await publisher.publish(topic: topic, data: payload.encoded(topic: topic, size: payloadSize))
                outcome.latency.record(microseconds: Int64((ContinuousClock.now - sendTime).seconds * 1e6))
                if status == 200 {
                    outcome.acknowledged += 1
                    outcome.acknowledgedPerTopic[topicIndex] += 1
                } else {
                    outcome.failed += 1
                    if outcome.firstError == nil { outcome.firstError = "POST /publish answered \(status)" }
                }
            } catch {
                outcome.failed += 1
                if outcome.firstError == nil { outcome.firstError = "\(error)" }
                break
            }
        }
        return outcome
    }
}
