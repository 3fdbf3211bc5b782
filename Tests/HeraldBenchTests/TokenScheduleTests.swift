import Testing
@testable import HeraldBench

@Suite("The token schedule of one event loop")
struct TokenScheduleTests {
    /// Everything `take(until:)` hands out, as (generation, sequence).
    private func taken(_ schedule: inout TokenSchedule, until elapsed: Int64) -> [[UInt64]] {
        var out: [[UInt64]] = []
        let generations = schedule.generations
        schedule.take(until: elapsed) { place, sequence in out.append([UInt64(generations[place]), sequence]) }
        return out
    }

    @Test("generations are spread evenly over one period, and a token due exactly at the tick is taken")
    func spread() {
        var schedule = TokenSchedule(generations: [0, 1, 2, 3], total: 4, period: 100)
        #expect(schedule.offsets == [0, 25, 50, 75])
        #expect(taken(&schedule, until: 0) == [[0, 1]])
        #expect(taken(&schedule, until: 60) == [[1, 1], [2, 1]])
        #expect(taken(&schedule, until: 60).isEmpty, "nothing is taken twice")
        #expect(taken(&schedule, until: 125) == [[3, 1], [0, 2], [1, 2]])
    }

    @Test("a loop's share of the generations keeps its offsets in the whole set, in order of offset")
    func share() {
        var schedule = TokenSchedule(generations: [5, 1, 3], total: 6, period: 60)
        #expect(schedule.generations == [1, 3, 5])
        #expect(schedule.offsets == [10, 30, 50])
        #expect(taken(&schedule, until: 9).isEmpty)
        #expect(taken(&schedule, until: 70) == [[1, 1], [3, 1], [5, 1], [1, 2]])
    }

    @Test("a late tick catches up: every generation gets each sequence once, with no gap, in order of due time")
    func catchUp() {
        var schedule = TokenSchedule(generations: Array(0..<7), total: 7, period: 25_000_000)
        let all = taken(&schedule, until: 1_000_000_000 - 1)
        #expect(all.count == 7 * 40)
        for generation in 0..<7 {
            #expect(all.filter { $0[0] == UInt64(generation) }.map { $0[1] } == Array(1...40))
        }
        let dues = all.map { Int64($0[1] - 1) * 25_000_000 + Int64($0[0]) * 25_000_000 / 7 }
        #expect(dues == dues.sorted())
    }

    @Test("an empty share takes nothing")
    func empty() {
        var schedule = TokenSchedule(generations: [], total: 3, period: 10)
        #expect(taken(&schedule, until: 1_000).isEmpty)
    }
}
