import Testing

@testable import HeraldRedis

@Suite("Outage of a node's Redis link, driven without I/O")
struct RedisOutageStateTests {
    let start = ContinuousClock.now

    @Test("an outage that outlasts its grace closes the streams once, saying how long the node was cut off")
    func graceEndsDuringOutage() {
        var state = RedisOutageWatch.State()
        let generation = state.connectionLost(at: start)
        #expect(generation != nil)
        #expect(state.connectionLost(at: start + .seconds(1)) == nil, "a second loss in the same outage starts no new grace")
        #expect(state.graceEnded(generation: generation!, at: start + .seconds(5)) == .evacuate(lostFor: .seconds(5)))
        #expect(state.graceEnded(generation: generation!, at: start + .seconds(6)) == .none, "the streams close once")
        let ended = state.restored(at: start + .seconds(9))
        #expect(ended?.lasted == .seconds(9) && ended?.evacuated == true)
    }

    @Test("an outage healed within its grace closes nothing, and its timer does nothing to the next outage")
    func healedWithinGrace() {
        var state = RedisOutageWatch.State()
        let first = state.connectionLost(at: start)!
        #expect(state.outageDuration(at: start + .seconds(2)) == .seconds(2))
        #expect(state.restored(at: start + .seconds(3))?.evacuated == false)
        #expect(state.outageDuration(at: start + .seconds(4)) == nil)
        #expect(state.graceEnded(generation: first, at: start + .seconds(5)) == .none)
        let second = state.connectionLost(at: start + .seconds(6))!
        #expect(state.graceEnded(generation: first, at: start + .seconds(7)) == .none, "an older outage's timer is ignored")
        #expect(state.graceEnded(generation: second, at: start + .seconds(11)) == .evacuate(lostFor: .seconds(5)))
    }

    @Test("restoring without an outage reports nothing")
    func restoredWithoutOutage() {
        var state = RedisOutageWatch.State()
        #expect(state.restored(at: start) == nil)
    }
}
