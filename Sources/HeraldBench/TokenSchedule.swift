/// When each generation of the `tokens` load produces its tokens: every generation produces one token per
/// `period`, and the N generations are spread evenly over one period (generation g starts at g × period / N),
/// as answers that began at different moments are.
///
/// A ``TokenSchedule`` covers the generations of one event loop and is driven by one timer on that loop:
/// each tick takes every token due since the previous tick, in order of due time. There is no timer per
/// generation (at 4,000 generations × 40 tokens/s that would be 160,000 timer tasks a second).
///
/// Guarantees: ``take(until:_:)`` hands out each (generation, sequence) once, in order of due time (ties in
/// the order of `generations`), sequences of a generation from 1 up with no gap; a token due at exactly
/// `until` is taken; nothing due later is.
struct TokenSchedule: Sendable {
    /// The generations this schedule drives, in order of their offset in the period.
    let generations: [Int]
    /// Each generation's offset in the period, in nanoseconds since the start (same order as `generations`).
    let offsets: [Int64]
    let period: Int64
    /// The next token to hand out: round `round` (sequence round + 1) of the generation at `position`.
    private var round: Int64 = 0
    private var position = 0

    /// The schedule of `generations` (each in 0..<`total`) producing one token every `period` nanoseconds.
    init(generations: [Int], total: Int, period: Int64) {
        precondition(period > 0 && total > 0)
        let ordered = generations.sorted()
        self.generations = ordered
        offsets = ordered.map { Int64($0) * period / Int64(total) }
        self.period = period
    }

    /// Tokens are due at `offsets[position] + round × period`.
    private var nextDue: Int64 {
        offsets[position] + round * period
    }

    /// Calls `body(index, sequence)` for every token due at or before `elapsed` nanoseconds since the start
    /// that was not taken yet; `index` is the generation's place in ``generations``.
    mutating func take(until elapsed: Int64, _ body: (_ index: Int, _ sequence: UInt64) -> Void) {
        guard !offsets.isEmpty else { return }
        while nextDue <= elapsed {
            body(position, UInt64(round + 1))
            position += 1
            if position == offsets.count {
                position = 0
                round += 1
            }
        }
    }
}
