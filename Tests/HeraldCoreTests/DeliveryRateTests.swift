import NIOCore
import Testing
@testable import HeraldCore

/// The decaying events/s average behind `/stats` `busiestTopics`, driven with made-up instants (no clock).
@Suite("The delivery rate of a topic")
struct DeliveryRateTests {
    let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    func after(_ seconds: Double) -> NIODeadline {
        start + .nanoseconds(Int64(seconds * 1e9))
    }

    @Test("a steady rate reads as itself once a few time constants have passed, sampled at any spacing")
    func steadyRate() {
        var rate = DeliveryRate(now: start)
        var delivered = 0
        var elapsed = 0.0
        for step in [0.5, 3, 0.1, 7, 15, 2, 10, 1, 20, 5] {
            elapsed += step
            delivered = Int(elapsed * 40)
            rate.sample(delivered: delivered, now: after(elapsed))
        }
        #expect(abs(rate.perSecond - 40) < 0.5, "\(rate.perSecond)")
    }

    @Test("a burst reads as about its size over the time constant, then fades towards zero")
    func burstFades() {
        var rate = DeliveryRate(now: start)
        rate.sample(delivered: 100, now: after(0.01))
        #expect(abs(rate.perSecond - 100 / DeliveryRate.timeConstant) < 0.1, "\(rate.perSecond)")
        rate.sample(delivered: 100, now: after(30))
        #expect(rate.perSecond < 0.6, "\(rate.perSecond)")
        rate.sample(delivered: 100, now: after(300))
        #expect(rate.perSecond < 1e-9, "\(rate.perSecond)")
    }

    @Test("a sample at the same instant as the previous one changes nothing")
    func sameInstant() {
        var rate = DeliveryRate(now: start)
        rate.sample(delivered: 50, now: after(1))
        let before = rate.perSecond
        rate.sample(delivered: 80, now: after(1))
        #expect(rate.perSecond == before)
        rate.sample(delivered: 80, now: after(2))
        #expect(rate.perSecond > before, "the 30 events counted at the same instant are not lost")
    }
}
