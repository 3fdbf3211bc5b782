import NIOCore

/// A publisher of the `tokens` load: takes the tokens of the generations it carries, as they are produced.
/// Every call happens on the event loop of its connection, which is its ``TokenLoop``'s loop.
protocol TokenSink: AnyObject {
    /// The run starts: a streaming publisher opens its request.
    func begin()
    /// One token was produced (its timestamp is the production time); send it now or when the connection can.
    func produce(_ token: TokenRequestEncoder.Token)
    /// No more tokens: send what is gathered, end a streaming request, and call ``TokenLoop/sinkFinished()``
    /// once the last answer came (or the connection failed).
    func end()
    /// The drain limit passed: count what is still unanswered as failed, what is unsent as unsent, and finish.
    func abandon()
}

/// What the token publishers of one event loop did; touched only on that loop.
struct TokenTally: Sendable {
    var outcome: PublishOutcome
    /// Tokens the schedule produced before the deadline.
    var produced: UInt64 = 0
    /// Tokens produced but never written (a publisher that failed, or fell so far behind that the drain ended).
    var unsent: UInt64 = 0
    /// Token produced → its bytes written to the socket, in microseconds: waiting for the previous answer, or
    /// for the batch window.
    var wait = LatencyHistogram()

    init(generations: Int) {
        outcome = PublishOutcome(topics: generations)
    }

    mutating func merge(_ other: TokenTally) {
        outcome.merge(other.outcome)
        produced += other.produced
        unsent += other.unsent
        wait.merge(other.wait)
    }
}

/// Drives the token publishers of one event loop with one timer: each tick produces every token due since the
/// last one (``TokenSchedule``), stamped with the tick's wall clock, and hands it to the publisher of its
/// generation. Confined to its loop.
///
/// Guarantees: no token is produced before `start` or at or after `deadline`; at the deadline every sink is
/// ended; `done` is completed once, with the tally, when every sink finished, or at the deadline + `limit`
/// after abandoning those that did not.
final class TokenLoop {
    private var schedule: TokenSchedule
    /// ``TokenSchedule/generations``, read while the schedule hands out tokens.
    private let generations: [Int]
    private var sinks: [(any TokenSink)?]
    /// The places in ``generations`` of each generation, by generation.
    private let places: [Int: Int]
    private var registered: [any TokenSink] = []
    var tally: TokenTally
    private let done: EventLoopPromise<TokenTally>
    private var open = 0
    private var ended = false
    private var completed = false

    init(generations: [Int], total: Int, period: Int64, done: EventLoopPromise<TokenTally>) {
        let schedule = TokenSchedule(generations: generations, total: total, period: period)
        self.schedule = schedule
        self.generations = schedule.generations
        sinks = Array(repeating: nil, count: generations.count)
        places = Dictionary(uniqueKeysWithValues: schedule.generations.enumerated().map { ($1, $0) })
        tally = TokenTally(generations: total)
        self.done = done
    }

    /// Makes `sink` the publisher of `generations` (all of them driven by this loop).
    func register(_ sink: any TokenSink, generations: some Sequence<Int>) {
        for generation in generations {
            guard let place = places[generation] else { preconditionFailure("generation \(generation) is not driven by this loop") }
            sinks[place] = sink
        }
        registered.append(sink)
        open += 1
    }

    /// Starts producing at `start`, one tick every `tick`, until `deadline`; abandons what is unanswered at
    /// `deadline` + `limit`.
    func run(on loop: any EventLoop, start: NIODeadline, deadline: NIODeadline, tick: TimeAmount, limit: TimeAmount) {
        for sink in registered { sink.begin() }
        let isolated = loop.assumeIsolated()
        scheduleTick(on: isolated, at: start, start: start, deadline: deadline, tick: tick)
        isolated.scheduleTask(deadline: deadline + limit) { [self] in
            for sink in registered { sink.abandon() }
            complete()
        }
    }

    private func scheduleTick(on loop: NIOIsolatedEventLoop, at due: NIODeadline, start: NIODeadline, deadline: NIODeadline, tick: TimeAmount) {
        loop.scheduleTask(deadline: due) { [self] in
            produce(start: start, deadline: deadline)
            // why: ticks keep their cadence; a late one is followed at once, and it takes every token due meanwhile.
            if !ended { scheduleTick(on: loop, at: max(due + tick, .now()), start: start, deadline: deadline, tick: tick) }
        }
    }

    private func produce(start: NIODeadline, deadline: NIODeadline) {
        guard !ended else { return }
        let now = NIODeadline.now()
        let last = now < deadline ? now : deadline - .nanoseconds(1)
        let wall = BenchPayload.wallClockNanoseconds()
        schedule.take(until: (last - start).nanoseconds) { place, sequence in
            tally.produced += 1
            if let sink = sinks[place] {
                sink.produce(TokenRequestEncoder.Token(generation: generations[place], sequence: sequence, timestamp: wall))
            } else {
                tally.unsent += 1
            }
        }
        guard now >= deadline else { return }
        ended = true
        for sink in registered { sink.end() }
        if open == 0 { complete() }
    }

    /// A sink got its last answer (or failed, or was abandoned); called once per registered sink.
    func sinkFinished() {
        open -= 1
        if ended, open == 0 { complete() }
    }

    /// Gives up before the run started (a publisher could not connect): `done` fails with `error`.
    func cancel(_ error: any Error) {
        guard !completed else { return }
        completed = true
        done.fail(error)
    }

    private func complete() {
        guard !completed else { return }
        completed = true
        done.succeed(tally)
    }
}
