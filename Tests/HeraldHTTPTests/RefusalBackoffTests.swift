import NIOCore
import Testing
@testable import HeraldHTTP

/// The delay sent with a temporary refusal: a configured base, jitter, and growth with the refusal rate.
@Suite("Refusal back-off")
struct RefusalBackoffTests {
    @Test("the delay is the base times the jitter when nothing else is refused")
    func jitterAroundTheBase() {
        #expect(RefusalBackoff.delay(baseMilliseconds: 2000, refusalsPerSecond: 0, jitter: 0.5) == 1000)
        #expect(RefusalBackoff.delay(baseMilliseconds: 2000, refusalsPerSecond: 0, jitter: 1.49) == 2980)
    }

    @Test("the delay doubles at 100 refusals a second and stops growing at ten times the base")
    func growsWithLoad() {
        #expect(RefusalBackoff.delay(baseMilliseconds: 1000, refusalsPerSecond: 100, jitter: 1) == 2000)
        #expect(RefusalBackoff.delay(baseMilliseconds: 1000, refusalsPerSecond: 450, jitter: 1) == 5500)
        #expect(RefusalBackoff.delay(baseMilliseconds: 1000, refusalsPerSecond: 100_000, jitter: 1) == 10_000)
    }

    @Test("delays drawn for a lone refusal stay within ±50 % of the base and are not all equal")
    func drawnDelays() {
        let backoff = RefusalBackoff(base: .milliseconds(1000))
        let start = ContinuousClock.now
        // why: one refusal a minute apart each keeps the rate at 1/s, so only the jitter varies.
        let delays = (0..<50).map { backoff.nextDelayMilliseconds(now: start + .seconds(60 * $0)) }
        #expect(delays.allSatisfy { (500...1520).contains($0) }, "\(delays)")
        #expect(Set(delays).count > 1, "jitter spreads the reconnects")
    }

    @Test("the refusal rate counts the last second and forgets what is older")
    func slidingRate() {
        var rate = RefusalRate()
        let start = ContinuousClock.now
        var last = 0.0
        for index in 0..<100 { last = rate.record(at: start + .milliseconds(index * 5)) }
        #expect(last == 100)
        // Half a second into the next bucket, half of the previous one still counts.
        #expect(abs(rate.estimate(at: start + .milliseconds(1500)) - 50) < 0.001)
        #expect(rate.estimate(at: start + .seconds(3)) == 0)
    }
}
