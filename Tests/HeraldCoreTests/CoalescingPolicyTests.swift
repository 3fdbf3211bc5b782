import NIOCore
import Testing
@testable import HeraldCore

/// `CoalescingPolicy` alone: when a loop's mailbox drains, driven with made-up pass counts (no clock, no event
/// loop).
@Suite("Adaptive write coalescing policy")
struct CoalescingPolicyTests {
    let window = TimeAmount.milliseconds(5)

    func makePolicy(busyThreshold: Int = 32, calmPasses: Int = 8) -> CoalescingPolicy {
        var configuration = CoalescingPolicy.Configuration(window: window)
        configuration.busyThreshold = busyThreshold
        configuration.calmPasses = calmPasses
        return CoalescingPolicy(configuration)
    }

    /// Runs one pass that shared `shared` deliveries.
    func pass(_ policy: inout CoalescingPolicy, shared: Int) {
        policy.passEnded(CoalescingPolicy.Pass(sharedDeliveries: shared))
    }

    @Test("an idle loop drains at once, and keeps doing so while its passes share nothing (a lone stream)")
    func loneStreamIsWrittenAtOnce() {
        var policy = makePolicy()
        for _ in 0..<100 {
            #expect(policy.firstMessage() == .drainNow)
            pass(&policy, shared: 0)
        }
        #expect(!policy.coalescing)
    }

    @Test("a pass with many shared deliveries makes the next pass wait for the window")
    func fanOutWaitsForTheWindow() {
        var policy = makePolicy()
        #expect(policy.firstMessage() == .drainNow)
        pass(&policy, shared: 1_000)
        #expect(policy.coalescing)
        #expect(policy.firstMessage() == .drainAfter(window))
    }

    @Test("just below the threshold writes at once, at the threshold waits")
    func thresholdIsInclusive() {
        var below = makePolicy(busyThreshold: 32)
        pass(&below, shared: 31)
        #expect(below.firstMessage() == .drainNow)
        var atThreshold = makePolicy(busyThreshold: 32)
        pass(&atThreshold, shared: 32)
        #expect(atThreshold.firstMessage() == .drainAfter(window))
    }

    @Test("a steady fan-out keeps waiting through a few passes that share nothing")
    func oddCalmPassKeepsCoalescing() {
        var policy = makePolicy(calmPasses: 8)
        pass(&policy, shared: 500)
        for _ in 1...7 {
            #expect(policy.firstMessage() == .drainAfter(window))
            pass(&policy, shared: 0)
        }
        #expect(policy.coalescing)
        #expect(policy.firstMessage() == .drainAfter(window))
        pass(&policy, shared: 500)
        #expect(policy.coalescing, "a busy pass starts the count of calm passes again")
    }

    @Test("after enough calm passes in a row the loop writes at once again")
    func calmPassesEndCoalescing() {
        var policy = makePolicy(calmPasses: 8)
        pass(&policy, shared: 500)
        for _ in 1...8 {
            #expect(policy.firstMessage() == .drainAfter(window))
            pass(&policy, shared: 3)
        }
        #expect(!policy.coalescing)
        #expect(policy.firstMessage() == .drainNow)
    }

    @Test("a gap between passes does not end coalescing: a held-back publisher is not an idle loop")
    func gapKeepsCoalescing() {
        var policy = makePolicy()
        pass(&policy, shared: 1_000)
        // However long ago the last pass ended, only calm passes end coalescing.
        #expect(policy.firstMessage() == .drainAfter(window))
        pass(&policy, shared: 1_000)
        #expect(policy.coalescing)
    }

    @Test("with a zero window every message drains at once, whatever the passes shared")
    func zeroWindowNeverWaits() {
        var policy = CoalescingPolicy(CoalescingPolicy.Configuration(window: .zero))
        pass(&policy, shared: 1_000_000)
        #expect(policy.firstMessage() == .drainNow)
    }

    @Test("two writes of a topic count as shared within two windows")
    func sharingHorizonIsTwoWindows() {
        #expect(CoalescingPolicy.Configuration(window: .milliseconds(5)).sharingHorizon == .milliseconds(10))
    }
}
