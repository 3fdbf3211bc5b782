import HeraldClient
import NIOCore
import NIOPosix
import Synchronization

/// The benchmark's SSE subscribers: subscriber *i* listens to topic `bench-<i mod topics>` on
/// event loop *i mod loops*, and records what it receives in that loop's ``DeliveryRecorder``.
///
/// Guarantees: events are handled on the event loops with no Swift task per connection; connection
/// attempts are bounded in number in flight and each by a timeout; every stream is closed by
/// ``close()`` (or when the fleet is released).
final class SubscriberFleet: Sendable {
    /// The topic of subscriber `index` when there are `topics` topics.
    static func topic(ofSubscriber index: Int, topics: Int) -> String {
        "bench-\(index % topics)"
    }

    private let loops: [any EventLoop]
    private let recorders: [NIOLoopBoundBox<DeliveryRecorder>]
    private let connections = Mutex<[SSELoadConnection]>([])
    private let connectedPerTopicBox: Mutex<[Int]>
    private let subscribers: Int
    private let topics: Int

    /// Connected subscribers per topic index, complete once ``connect(target:concurrency:perSecond:)`` returned.
    var connectedPerTopic: [Int] {
        connectedPerTopicBox.withLock { $0 }
    }

    /// A fleet of `subscribers` on `topics` topics, spread over the loops of `group`, whose timeline
    /// has `seconds` one-second slots.
    init(subscribers: Int, topics: Int, group: MultiThreadedEventLoopGroup, seconds: Int) {
        loops = Array(group.makeIterator())
        let perLoop = (subscribers + loops.count - 1) / loops.count
        recorders = loops.map { loop in
            NIOLoopBoundBox.makeBoxSendingValue(DeliveryRecorder(subscribers: perLoop, seconds: seconds), eventLoop: loop)
        }
        connectedPerTopicBox = Mutex(Array(repeating: 0, count: topics))
        self.subscribers = subscribers
        self.topics = topics
    }

    /// What connecting produced.
    struct ConnectOutcome: Sendable {
        var connected = 0
        var failed = 0
        var firstError: String?
        var seconds = 0.0
    }

    /// Opens every stream, `concurrency` attempts at a time, starting at most `perSecond` per second when given.
    func connect(target: BenchTarget, concurrency: Int, perSecond: Int?) async -> ConnectOutcome {
        let started = ContinuousClock.now
        var outcome = ConnectOutcome()
        await withTaskGroup(of: (Int, Result<SSELoadConnection, any Error>).self) { group in
            var next = 0
            func startOne() {
                let index = next
                next += 1
                group.addTask { (index, await self.open(index, target: target)) }
            }
            while next < subscribers {
                if next >= concurrency, let finished = await group.next() { record(finished, into: &outcome) }
                if let perSecond {
                    let due = started + .nanoseconds(Int64(next) * 1_000_000_000 / Int64(perSecond))
                    if due > .now { try? await Task.sleep(until: due, clock: .continuous) }
                }
                startOne()
            }
            for await finished in group { record(finished, into: &outcome) }
        }
        outcome.seconds = (ContinuousClock.now - started).seconds
        return outcome
    }

    private func open(_ index: Int, target: BenchTarget) async -> Result<SSELoadConnection, any Error> {
        let loop = loops[index % loops.count]
        let recorder = recorders[index % loops.count]
        let slot = index / loops.count
        let topic = Self.topic(ofSubscriber: index, topics: topics)
        do {
            let connection = try await SSELoadConnection.connect(
                host: target.host, port: target.port, path: "/events?topic=\(topic)",
                // why: under a 10k connect burst on 2 shared cores a head can take seconds; 30 s only catches a hung server.
                timeout: .seconds(30), eventLoopGroup: loop,
                onEvent: { event in recorder.value.receive(event.data, subscriber: slot) },
                onEnd: { error in recorder.value.streamEnded(error: error.map { "\($0)" }) }
            )
            guard connection.status == 200 else {
                connection.close()
                return .failure(BenchError("GET /events answered \(connection.status)"))
            }
            return .success(connection)
        } catch {
            return .failure(error)
        }
    }

    private func record(_ finished: (Int, Result<SSELoadConnection, any Error>), into outcome: inout ConnectOutcome) {
        switch finished.1 {
        case .success(let connection):
            outcome.connected += 1
            connections.withLock { $0.append(connection) }
            connectedPerTopicBox.withLock { $0[finished.0 % topics] += 1 }
        case .failure(let error):
            outcome.failed += 1
            if outcome.firstError == nil { outcome.firstError = "\(error)" }
        }
    }

    /// Starts every loop's timeline at `origin` (wall clock, ns).
    func begin(origin: UInt64) async throws {
        for (loop, recorder) in zip(loops, recorders) {
            try await loop.submit { recorder.value.begin(origin: origin) }.get()
        }
    }

    /// The merged stats of every loop, read on each loop.
    func snapshot() async throws -> DeliveryStats {
        var merged: DeliveryStats?
        for (loop, recorder) in zip(loops, recorders) {
            let stats = try await loop.submit { recorder.value.stats }.get()
            if merged == nil { merged = stats } else { merged!.merge(stats) }
        }
        return merged!
    }

    /// Closes every stream.
    func close() {
        let open = connections.withLock { connections in
            defer { connections.removeAll() }
            return connections
        }
        for connection in open { connection.close() }
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
