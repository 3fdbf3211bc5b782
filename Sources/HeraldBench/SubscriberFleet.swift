import HeraldClient
import NIOCore
import NIOPosix
import Synchronization

/// The benchmark's SSE subscribers: subscriber *i* listens to topic `bench-<i mod topics>` on event loop
/// *i mod loops*, and records what it receives in that loop's ``DeliveryRecorder``.
///
/// Guarantees: events are handled on the event loops with no Swift task per connection; connection
/// attempts are bounded in number in flight and each by a timeout; every stream is closed by ``close()``
/// (or when the fleet is released). With `stalledEvery` = k, every k-th subscriber (i mod k = k − 1)
/// stops reading once its response head arrived and is left out of ``connectedPerTopic`` and of every
/// delivery figure.
final class SubscriberFleet: Sendable {
    /// The topic of subscriber `index` when there are `topics` topics named `<prefix>-<n>`.
    static func topic(ofSubscriber index: Int, topics: Int, prefix: String = "bench") -> String {
        "\(prefix)-\(index % topics)"
    }

    let loops: [any EventLoop]
    let recorders: [NIOLoopBoundBox<DeliveryRecorder>]
    let server: BenchServer
    let subscribers: Int
    let topics: Int
    /// Topics are `<topicPrefix>-<n>`.
    let topicPrefix: String
    /// HTTP/1.1 or HTTP/2, plaintext or TLS.
    let transport: LoadTransport
    private let stalledEvery: Int?
    private let keepsIDs: Bool
    private let connections = Mutex<[Int: SSELoadConnection]>([:])
    private let stalledConnections = Mutex<[SSELoadConnection]>([])
    private let connectedPerTopicBox: Mutex<[Int]>

    /// Connected healthy subscribers per topic index, complete once ``connect(target:concurrency:perSecond:)`` returned.
    var connectedPerTopic: [Int] {
        connectedPerTopicBox.withLock { $0 }
    }

    /// A fleet of `subscribers` on `topics` topics, spread over the loops of `group`, whose timeline has
    /// `seconds` one-second slots; each subscriber keeps its last `idDepth` event ids when given.
    init(
        server: BenchServer, subscribers: Int, topics: Int, group: MultiThreadedEventLoopGroup, seconds: Int,
        stalledEvery: Int?, idDepth: Int?, topicPrefix: String = "bench", transport: LoadTransport
    ) {
        self.topicPrefix = topicPrefix
        self.transport = transport
        loops = Array(group.makeIterator())
        let perLoop = (subscribers + loops.count - 1) / loops.count
        recorders = loops.map { loop in
            NIOLoopBoundBox.makeBoxSendingValue(
                DeliveryRecorder(subscribers: perLoop, seconds: seconds, idDepth: idDepth), eventLoop: loop
            )
        }
        connectedPerTopicBox = Mutex(Array(repeating: 0, count: topics))
        self.server = server
        self.subscribers = subscribers
        self.topics = topics
        self.stalledEvery = stalledEvery
        keepsIDs = idDepth != nil
    }

    /// Whether subscriber `index` is one that never reads.
    func isStalled(_ index: Int) -> Bool {
        guard let stalledEvery else { return false }
        return index % stalledEvery == stalledEvery - 1
    }

    /// What connecting produced.
    struct ConnectOutcome: Sendable {
        var connected = 0
        var stalled = 0
        var failed = 0
        var firstError: String?
        var seconds = 0.0
    }

    /// Opens every stream, `concurrency` attempts at a time, starting at most `perSecond` per second when given.
    func connect(target: BenchTarget, concurrency: Int, perSecond: Int?) async -> ConnectOutcome {
        let started = ContinuousClock.now
        var outcome = ConnectOutcome()
        await BoundedConnects.run(count: subscribers, concurrency: concurrency, perSecond: perSecond) { index in
            await self.open(index, target: target)
        } record: { index, result in
            self.record(index, result, into: &outcome)
        }
        outcome.seconds = (ContinuousClock.now - started).seconds
        return outcome
    }

    private func open(_ index: Int, target: BenchTarget) async -> Result<SSELoadConnection, any Error> {
        let loop = loops[index % loops.count]
        let recorder = recorders[index % loops.count]
        let slot = index / loops.count
        let stalled = isStalled(index)
        let onEvent: @Sendable (SSELoadEvent) -> Void
        let onEnd: @Sendable (HeraldClientError?) -> Void
        if stalled {
            onEvent = { _ in }
            onEnd = { _ in recorder.value.stalledStreamEnded() }
        } else {
            onEvent = { event in recorder.value.receive(event, subscriber: slot) }
            onEnd = { error in recorder.value.streamEnded(error: error.map { "\($0)" }) }
        }
        do {
            let connection = try await SSELoadConnection.connect(
                host: target.host, port: target.port,
                path: server.subscribePath(topic: Self.topic(ofSubscriber: index, topics: topics, prefix: topicPrefix)),
                // why: under a 10k connect burst on 2 shared cores a head can take seconds; 30 s only catches a hung server.
                timeout: .seconds(30), eventLoopGroup: loop, reading: !stalled, keepingIDs: keepsIDs && !stalled,
                opener: transport.opener(subscriber: index, loops: loops.count), onEvent: onEvent, onEnd: onEnd
            )
            guard connection.status == 200 else {
                connection.close()
                return .failure(BenchError("GET \(server.subscribePath(topic: "…")) answered \(connection.status)"))
            }
            return .success(connection)
        } catch {
            return .failure(error)
        }
    }

    private func record(_ index: Int, _ result: Result<SSELoadConnection, any Error>, into outcome: inout ConnectOutcome) {
        switch result {
        case .success(let connection):
            outcome.connected += 1
            if isStalled(index) {
                outcome.stalled += 1
                stalledConnections.withLock { $0.append(connection) }
            } else {
                connections.withLock { $0[index] = connection }
                connectedPerTopicBox.withLock { $0[index % topics] += 1 }
            }
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

    /// Lets the stalled subscribers read again and waits, at most `limit`, until every one of them ended;
    /// returns how many ended (the server had cut them: with nothing published any more, a stream that is
    /// still open only idles).
    func probeStalled(limit: Duration, poll: Duration) async throws -> Int {
        let stalled = stalledConnections.withLock { $0 }
        for connection in stalled { connection.resumeReading() }
        let started = ContinuousClock.now
        while true {
            var ended = 0
            for (loop, recorder) in zip(loops, recorders) {
                ended += try await loop.submit { recorder.value.stalledEnded }.get()
            }
            if ended == stalled.count || ContinuousClock.now - started >= limit { return ended }
            try await Task.sleep(for: poll)
        }
    }

    /// The healthy connections by subscriber index.
    var healthyConnections: [Int: SSELoadConnection] {
        connections.withLock { $0 }
    }

    /// Closes every stream and waits until each is closed; HTTP/2 connections stay open for a resume storm.
    func closeAll() async {
        let open = takeAll()
        for connection in open { await connection.shutdown() }
    }

    /// Closes every stream and every HTTP/2 connection.
    func close() {
        for connection in takeAll() { connection.close() }
        transport.close()
    }

    private func takeAll() -> [SSELoadConnection] {
        let healthy = connections.withLock { connections in
            defer { connections.removeAll() }
            return Array(connections.values)
        }
        let stalled = stalledConnections.withLock { connections in
            defer { connections.removeAll() }
            return connections
        }
        return healthy + stalled
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
