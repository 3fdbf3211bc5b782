import HeraldClient
import NIOCore

extension SubscriberFleet {
    /// Where one healthy subscriber resumes: after event `first − 1`, whose id is `id`, up to `last`.
    struct ResumePoint: Sendable {
        var index: Int
        var id: String
        var first: UInt64
        var last: UInt64
    }

    /// What a resume storm produced.
    struct StormOutcome: Sendable {
        var attempted = 0
        var connectFailed = 0
        var firstConnectError: String?
        var stats = ResumeStats()
        /// First reconnect started → last subscriber completed (or the limit), in seconds.
        var seconds = 0.0
        var timedOut = false
    }

    /// Each healthy subscriber's resume point `back` events before its last one, read on its loop; subscribers
    /// that did not receive `back` + 1 events in order, or whose event carried no id, are counted as unusable.
    func resumePoints(back: Int) async throws -> (points: [ResumePoint], unusable: Int) {
        let indices = healthyConnections.keys.sorted()
        var points: [ResumePoint] = []
        var unusable = 0
        for (loopIndex, (loop, recorder)) in zip(loops, recorders).enumerated() {
            let mine = indices.filter { $0 % loops.count == loopIndex }
            let found = try await loop.submit { () -> [(Int, (sequence: UInt64, id: [UInt8], newest: UInt64)?)] in
                mine.map { index in (index, recorder.value.ring?.oldest(subscriber: index / self.loops.count)) }
            }.get()
            for (index, entry) in found {
                guard let entry, !entry.id.isEmpty, entry.newest - entry.sequence == UInt64(back) else {
                    unusable += 1
                    continue
                }
                points.append(ResumePoint(index: index, id: String(decoding: entry.id, as: UTF8.self), first: entry.sequence + 1, last: entry.newest))
            }
        }
        return (points, unusable)
    }

    /// Reconnects every subscriber of `points` at once (`concurrency` attempts in flight) with its
    /// `Last-Event-ID`, and waits until each received its expected events, its stream ended, or `limit`
    /// passed; the storm's streams are closed before returning.
    func resumeStorm(
        points: [ResumePoint], target: BenchTarget, concurrency: Int, limit: Duration, poll: Duration
    ) async throws -> StormOutcome {
        let perLoop = (points.count + loops.count - 1) / loops.count
        let stormRecorders = loops.map { NIOLoopBoundBox.makeBoxSendingValue(ResumeRecorder(subscribers: perLoop), eventLoop: $0) }
        var outcome = StormOutcome(attempted: points.count)
        var opened: [SSELoadConnection] = []
        let started = NIODeadline.now()
        await BoundedConnects.run(count: points.count, concurrency: concurrency, perSecond: nil) { position in
            let point = points[position]
            let loop = self.loops[position % self.loops.count]
            let recorder = stormRecorders[position % self.loops.count]
            let slot = position / self.loops.count
            do {
                try await loop.submit {
                    recorder.value.expect(subscriber: slot, first: point.first, last: point.last, started: .now())
                }.get()
                let connection = try await SSELoadConnection.connect(
                    host: target.host, port: target.port,
                    path: self.server.subscribePath(topic: Self.topic(ofSubscriber: point.index, topics: self.topics, prefix: self.topicPrefix)),
                    headers: [("Last-Event-ID", point.id)],
                    // why: 10k reconnects at once on 2 shared cores can take seconds per head; 30 s catches a hung server.
                    timeout: .seconds(30), eventLoopGroup: loop,
                    opener: self.transport.opener(subscriber: point.index, loops: self.loops.count),
                    onEvent: { event in recorder.value.receive(event, subscriber: slot) },
                    onEnd: { error in recorder.value.streamEnded(error: error.map { "\($0)" }) }
                )
                guard connection.status == 200 else {
                    connection.close()
                    return Result<SSELoadConnection, any Error>.failure(BenchError("a resume answered \(connection.status)"))
                }
                return .success(connection)
            } catch {
                return .failure(error)
            }
        } record: { _, result in
            switch result {
            case .success(let connection): opened.append(connection)
            case .failure(let error):
                outcome.connectFailed += 1
                if outcome.firstConnectError == nil { outcome.firstConnectError = "\(error)" }
            }
        }
        while true {
            var stats = ResumeStats()
            for (loop, recorder) in zip(loops, stormRecorders) {
                stats.merge(try await loop.submit { recorder.value.stats }.get())
            }
            outcome.stats = stats
            let settled = stats.reachedLast + stats.streamsEnded + outcome.connectFailed >= points.count
            outcome.timedOut = !settled && NIODeadline.now() - started >= TimeAmount(limit)
            if settled || outcome.timedOut { break }
            try await Task.sleep(for: poll)
        }
        let end = outcome.timedOut ? NIODeadline.now() : (outcome.stats.lastCompletion ?? NIODeadline.now())
        outcome.seconds = Double((end - started).nanoseconds) / 1e9
        for connection in opened { await connection.shutdown() }
        return outcome
    }
}
