import NIOCore
import Testing

@testable import Redis

@Suite("Redis liveness decisions, driven without I/O")
struct RedisLivenessTests {
    let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    func liveness() -> RedisLiveness {
        RedisLiveness(interval: .seconds(1), timeout: .seconds(3), now: start)
    }

    @Test("an idle connection is probed once nothing was heard for an interval")
    func idleIsProbed() {
        let liveness = liveness()
        #expect(liveness.check(now: start + .milliseconds(999), awaitingReply: false) == .none)
        #expect(liveness.check(now: start + .seconds(1), awaitingReply: false) == .sendPing)
    }

    @Test("a connection owing a reply is silent once nothing was heard for the timeout, and says for how long")
    func owedReplyTimesOut() {
        let liveness = liveness()
        #expect(liveness.check(now: start + .milliseconds(2999), awaitingReply: true) == .none)
        #expect(liveness.check(now: start + .milliseconds(3200), awaitingReply: true) == .closeSilent(silentFor: .milliseconds(3200)))
    }

    @Test("any bytes heard restart both clocks")
    func hearingResets() {
        var liveness = liveness()
        liveness.heard(at: start + .seconds(2))
        #expect(liveness.check(now: start + .milliseconds(4500), awaitingReply: true) == .none)
        #expect(liveness.check(now: start + .milliseconds(2500), awaitingReply: false) == .none)
        #expect(liveness.check(now: start + .seconds(5), awaitingReply: true) == .closeSilent(silentFor: .seconds(3)))
    }

    @Test("checks run four times per interval, so detection is at most a quarter interval late")
    func checkPeriod() {
        #expect(liveness().checkPeriod == .milliseconds(250))
        #expect(RedisLiveness(interval: .seconds(5), timeout: .seconds(2), now: start).checkPeriod == .milliseconds(500))
    }
}
