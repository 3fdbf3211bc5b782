import Foundation
import HeraldClient
import NIOCore
import Synchronization

/// Publishes through the load balancer at a steady rate, round robin over `topics`, as a backend would.
///
/// Event `n` of topic `t` has data `t#n` and is sent with `Idempotency-Key: t-n`. On any failure
/// (connection error, timeout, a 5xx, a wrong reply) the same event is retried with the same key until it is
/// acknowledged, so each event is stored exactly once if Herald honours the key; a topic's events are
/// published one after the other, so their stored order is their number order. An event not acknowledged
/// within `giveUpAfter` stops the publisher with an error.
final class SteadyPublisher: Sendable {
    struct Counts: Sendable, CustomStringConvertible {
        /// The last acknowledged number, per topic.
        var published: [String: Int] = [:]
        /// Attempts that failed and were retried.
        var retries = 0
        /// The distinct failures seen (status or error code), with how often.
        var failures: [String: Int] = [:]

        var total: Int { published.values.reduce(0, +) }
        var description: String {
            "\(total) events acknowledged, \(retries) retried attempts \(failures.sorted { $0.key < $1.key })"
        }
    }

    let topics: [String]
    private let port: Int
    private let interval: Duration
    private let giveUpAfter: Duration
    private let requestTimeout: Duration
    private let counts = Mutex(Counts())
    private let stopping = Atomic(false)

    /// A publish that has no answer within `requestTimeout` counts as failed and is retried.
    init(port: Int, topics: [String], eventsPerSecond: Int, giveUpAfter: Duration = .seconds(20), requestTimeout: Duration = .seconds(3)) {
        self.port = port
        self.topics = topics
        self.interval = .seconds(1) / eventsPerSecond
        self.giveUpAfter = giveUpAfter
        self.requestTimeout = requestTimeout
    }

    var snapshot: Counts { counts.withLock { $0 } }

    /// Asks ``run()`` to return after the event in flight is acknowledged.
    func stop() {
        stopping.store(true, ordering: .relaxed)
    }

    /// Publishes until ``stop()``; returns the final counts.
    func run() async throws -> Counts {
        var next = ContinuousClock.now
        var index = 0
        while !stopping.load(ordering: .relaxed) {
            let topic = topics[index % topics.count]
            let number = index / topics.count + 1
            try await publish(topic: topic, number: number)
            counts.withLock { $0.published[topic] = number }
            index += 1
            next += interval
            // why: pacing, not synchronisation: a steady rate, catching up without bursts after a slow publish.
            if next > .now { try await Task.sleep(until: next) } else { next = .now }
        }
        return snapshot
    }

    private func publish(topic: String, number: Int) async throws {
        let body = ByteBuffer(string: "{\"topic\":\"\(topic)\",\"data\":\"\(topic)#\(number)\"}")
        let headers = [("content-type", "application/json"), ("Idempotency-Key", "\(topic)-\(number)")]
        let deadline = ContinuousClock.now + giveUpAfter
        while true {
            let failure: String
            do {
                // why: a publish answers in milliseconds; 3 s (the default) means the node is gone or stuck, so retry.
                let response = try await HeraldHTTPClient.request(
                    port: port, method: .POST, path: "/publish", headers: headers, body: body, timeout: requestTimeout
                )
                if response.status == 200, response.bodyText.contains("\"id\"") { return }
                guard response.status >= 500 else {
                    throw FailoverFailure("publishing \(topic)#\(number) was refused: \(response.status) \(response.bodyText)")
                }
                failure = "status \(response.status)"
            } catch let error as HeraldClientError {
                failure = "\(error.code)"
            }
            counts.withLock {
                $0.retries += 1
                $0.failures[failure, default: 0] += 1
            }
            guard ContinuousClock.now < deadline else {
                throw FailoverFailure("publishing \(topic)#\(number) failed for \(giveUpAfter), last: \(failure)")
            }
            // why: a short pause between retries, so that a node that is down is not hammered.
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}
