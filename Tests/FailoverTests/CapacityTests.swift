import Foundation
import HeraldClient
import HeraldHTTP
import TestSupport
import Testing

/// A real `herald serve` started under a low open-file limit (`prlimit --nofile=N:N`): it knows its budget,
/// refuses clients past it with a retry stream at once, heals Redis while full, and pauses accepting, without
/// spinning, when descriptors run out anyway.
@Suite(
    "A node at its descriptor limit",
    .serialized,
    .enabled(if: RedisServerProcess.isRequired || CapacityNode.missingBinaries.isEmpty),
    .timeLimit(.minutes(2))
)
struct CapacityTests {
    @Test("at startup the soft open-file limit is raised to the hard one, --max-connections derived from it, and the figures logged")
    func derivedLimit() async throws {
        let capacity = try await CapacityNode.start(descriptors: (soft: 256, hard: 512))
        var passed = false
        defer { capacity.stop(keepingFiles: !passed) }
        let expected = 512 - DescriptorBudget.reserve(limit: 512, threads: 2, redisConnections: 0)
        let line = try #require(capacity.node.log().split(separator: "\n").first { $0.contains("descriptor budget") }, "\(capacity.node.logTail())")
        for field in ["herald.fd.soft_at_start=256", "herald.fd.limit=512", "herald.fd.hard=512", "herald.max_connections=\(expected)", "herald.max_connections.source=derived"] {
            #expect(line.contains(field), "\(field) in \(line)")
        }
        #expect(await capacity.stat("maxConnections") == expected)
        #expect(await capacity.stat("descriptorLimit") == 512)
        passed = true
    }

    @Test("an explicit --max-connections above the budget is a startup warning naming both numbers")
    func explicitAboveBudget() async throws {
        let capacity = try await CapacityNode.start(descriptors: (soft: 256, hard: 256), arguments: ["--max-connections", "100000"])
        var passed = false
        defer { capacity.stop(keepingFiles: !passed) }
        let budget = 256 - DescriptorBudget.reserve(limit: 256, threads: 2, redisConnections: 0)
        let warning = capacity.node.log().split(separator: "\n").first { $0.contains("above the descriptor budget") }
        #expect(warning?.contains("warning") == true, "\(capacity.node.logTail())")
        #expect(warning?.contains("herald.max_connections=100000") == true)
        #expect(warning?.contains("herald.fd.connections=\(budget)") == true)
        passed = warning != nil
    }

    @Test("clients past the limit get the retry stream at once, not a hang")
    func pastTheLimitAtOnce() async throws {
        let capacity = try await CapacityNode.start(descriptors: (soft: 200, hard: 200), arguments: ["--unavailable-retry", "500ms"])
        var passed = false
        defer { capacity.stop(keepingFiles: !passed) }
        let streams = try await capacity.fill(topics: ["full"])
        let refusals = try await withThrowingTaskGroup(of: StreamRefusal.self) { group in
            for _ in 0..<30 {
                group.addTask {
                    let stream = try await capacity.stream("late")
                    #expect(stream.status == 200)
                    #expect(stream.header("content-type") == "text/event-stream")
                    // why: a refusal is written as soon as the request is read; 10 s only bounds a hang.
                    return try await stream.refusal(timeout: .seconds(10))
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(refusals.count == 30)
        #expect(refusals.allSatisfy { $0.ended && $0.code == "too_many_connections" && $0.other.isEmpty })
        #expect(refusals.allSatisfy { $0.retry != nil && $0.retry == $0.retryAfterMilliseconds })
        #expect(Set(refusals.compactMap(\.retry)).count > 1, "the retry delays are jittered")
        #expect(await capacity.stat("streamsRefused") == 30)
        #expect(await capacity.node.openStreamsOnPublishPort(capacity.publishPort) == streams.count, "the streams held are untouched")
        for (_, stream) in streams { await stream.close() }
        passed = true
    }

    @Test("a full node heals every stream after its Redis pub/sub connection is killed")
    func redisHealAtTheLimit() async throws {
        let capacity = try await CapacityNode.start(descriptors: (soft: 256, hard: 256), redis: true)
        var passed = false
        defer { capacity.stop(keepingFiles: !passed) }
        let topics = (0..<4).map { "heal-\($0)" }
        let streams = try await capacity.fill(topics: topics)
        #expect(try await capacity.stream("one-more").refusal().code == "too_many_connections", "the node is full")
        let killed = try RedisCLI.run(port: try #require(capacity.redis).port, ["CLIENT", "KILL", "TYPE", "pubsub"])
        #expect(Int(killed.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 >= 1)
        for number in 1...5 {
            for topic in topics { try await capacity.publish(topic, "\(topic)#\(number)") }
        }
        var problems: [String] = []
        for (index, (topic, stream)) in streams.enumerated() {
            let data = try await stream.events(5, timeout: .seconds(15)).map(\.data)
            if data != (1...5).map({ "\(topic)#\($0)" }) { problems.append("stream \(index) of \(topic): \(data)") }
        }
        #expect(problems.isEmpty, "\(problems.prefix(5)) \(capacity.node.logTail())")
        for (_, stream) in streams { await stream.close() }
        passed = problems.isEmpty
    }

    @Test("when accept fails for lack of descriptors the node pauses accepting, logs once per burst with the count, and counts it")
    func pausesOnEMFILE() async throws {
        // why: --max-connections far above the budget, so that descriptors run out before any refusal.
        let capacity = try await CapacityNode.start(descriptors: (soft: 128, hard: 128), arguments: ["--max-connections", "100000"])
        var passed = false
        defer { capacity.stop(keepingFiles: !passed) }
        var connections: [RawConnection] = []
        for _ in 0..<150 { connections.append(try await RawConnection.connect(port: capacity.node.port)) }
        try await poll(timeout: .seconds(20), "the pause to be logged") { capacity.node.log().contains("pausing accepts") }
        for connection in connections { await connection.close() }
        // why: closing frees descriptors one by one, so accepting may resume and stop again; every burst ends
        // once all are closed.
        try await poll(timeout: .seconds(20), "every burst of failed accepts to end") {
            let log = capacity.node.log()
            let resumes = log.components(separatedBy: "accepting connections again").count - 1
            return resumes >= 1 && resumes == log.components(separatedBy: "pausing accepts").count - 1
        }
        let log = capacity.node.log().split(separator: "\n")
        let pauses = log.filter { $0.contains("pausing accepts") }
        let resumes = log.filter { $0.contains("accepting connections again") }
        let failuresLogged = resumes.compactMap { $0.firstMatch(of: /herald\.accept\.failures=(\d+)/).flatMap { Int($0.output.1) } }.reduce(0, +)
        let failures = try #require(await capacity.stat("acceptFailures"))
        #expect(failures >= 1)
        #expect(await capacity.stat("acceptPauses") == failures, "every failed accept was followed by a pause, never retried at once")
        #expect(await capacity.stat("acceptFailureBursts") == pauses.count, "one warning per burst")
        #expect(resumes.count == pauses.count && failuresLogged == failures, "each burst's end logs its count: \(resumes)")
        #expect(pauses.first?.contains("Too many open files") == true || pauses.first?.contains("24") == true, "\(pauses)")
        passed = failures >= 1 && resumes.count == pauses.count
    }
}
