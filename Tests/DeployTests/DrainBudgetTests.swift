import Testing

/// The duration reading that every stop-timeout check relies on.
@Suite("drain budget", .timeLimit(.minutes(1)))
struct DrainBudgetTests {
    @Test("herald's durations are read as herald reads them, and anything else is refused")
    func heraldDurations() {
        #expect(DrainBudget.heraldDuration("500ms") == .milliseconds(500))
        #expect(DrainBudget.heraldDuration("5s") == .seconds(5))
        #expect(DrainBudget.heraldDuration("10m") == .seconds(600))
        #expect(DrainBudget.heraldDuration("24h") == .seconds(86_400))
        #expect(DrainBudget.heraldDuration("0") == .zero)
        for refused in ["5", "1m30s", "5 s", "-5s", "soon", ""] {
            #expect(DrainBudget.heraldDuration(refused) == nil, "\(refused)")
        }
    }

    @Test("stop timeouts are read as Compose and systemd write them")
    func stopTimeouts() {
        #expect(DrainBudget.stopTimeout("30s") == .seconds(30))
        #expect(DrainBudget.stopTimeout("30") == .seconds(30))
        #expect(DrainBudget.stopTimeout("1m30s") == .seconds(90))
        #expect(DrainBudget.stopTimeout("1min 30s") == .seconds(90))
        #expect(DrainBudget.stopTimeout("infinity") == nil)
    }

    @Test("unset settings take herald's defaults, and an invalid one is an error")
    func budget() throws {
        #expect(try DrainBudget(environment: [:]).total == .seconds(8))
        #expect(try DrainBudget(environment: ["HERALD_DRAIN_GRACE": "10s", "HERALD_DRAIN_WINDOW": "500ms"]).total == .milliseconds(10_500))
        #expect(throws: DrainBudget.InvalidDuration.self) { try DrainBudget(environment: ["HERALD_DRAIN_WINDOW": "3"]) }
    }
}
