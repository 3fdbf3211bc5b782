import NIOCore
import Testing
@testable import HeraldCore

/// `CoalescingPolicy` alone: when a loop's mailbox drains, driven with made-up times and pass counts (no clock,
/// no event loop).
@Suite("Adaptive write coalescing policy")
struct CoalescingPolicyTests {
    let window = TimeAmount.milliseconds(5)

    func makePolicy(busyThreshold: Int = 32, calmPasses: Int = 8) -> CoalescingPolicy {
        var configuration = CoalescingPolicy.Configuration(window: window)
        configuration.busyThreshold = busyThreshold
        configuration.calmPasses = calmPasses
        return CoalescingPolicy(configuration)
    }

    func at(_ milliseconds: Int64) -> NIODeadline {
        .uptimeNanoseconds(1_000_000_000 + UInt64(milliseconds) * 1_000_000)
    }

    /// Runs one pass that shared `shared` deliveries and ended at `ended` ms.
    func pass(_ policy: inout CoalescingPolicy, shared: Int, endedAt ended: Int64) {
        policy.passStarted()
        policy.passEnded(CoalescingPolicy.Pass(sharedDeliveries: shared, ended: at(ended)))
    }

    @Test("an idle loop drains at once, and keeps doing so while its passes share nothing (a lone stream)")
    func loneStreamIsWrittenAtOnce() {
        var policy = makePolicy()
        for millisecond in stride(from: Int64(0), to: 100, by: 1) {
            #expect(policy.firstMessage(at: at(millisecond)) == .drainNow)
            pass(&policy, shared: 0, endedAt: millisecond)
        }
        #expect(!policy.coalescing)
    }

    @Test("a pass with many shared deliveries makes the next pass wait for the window")
    func fanOutWaitsForTheWindow() {
        var policy = makePolicy()
        #expect(policy.firstMessage(at: at(0)) == .drainNow)
        pass(&policy, shared: 1_000, endedAt: 1)
        #expect(policy.coalescing)
        #expect(policy.firstMessage(at: at(2)) == .drainAfter(window))
    }

    @Test("just below the threshold writes at once, at the threshold waits")
    func thresholdIsInclusive() {
        var below = makePolicy(busyThreshold: 32)
        pass(&below, shared: 31, endedAt: 0)
        #expect(below.firstMessage(at: at(1)) == .drainNow)
        var atThreshold = makePolicy(busyThreshold: 32)
        pass(&atThreshold, shared: 32, endedAt: 0)
        #expect(atThreshold.firstMessage(at: at(1)) == .drainAfter(window))
    }

    @Test("a steady fan-out keeps waiting through a few passes that share nothing")
    func oddCalmPassKeepsCoalescing() {
        var policy = makePolicy(calmPasses: 8)
        pass(&policy, shared: 500, endedAt: 0)
        for index in Int64(1)...7 {
            #expect(policy.firstMessage(at: at(index * 4)) == .drainAfter(window))
            pass(&policy, shared: 0, endedAt: index * 4 + 1)
        }
        #expect(policy.coalescing)
        #expect(policy.firstMessage(at: at(32)) == .drainAfter(window))
        pass(&policy, shared: 500, endedAt: 33)
        #expect(policy.coalescing, "a busy pass starts the count of calm passes again")
    }

    @Test("after enough calm passes in a row the loop writes at once again")
    func calmPassesEndCoalescing() {
        var policy = makePolicy(calmPasses: 8)
        pass(&policy, shared: 500, endedAt: 0)
        for index in Int64(1)...8 {
            #expect(policy.firstMessage(at: at(index * 4)) == .drainAfter(window))
            pass(&policy, shared: 3, endedAt: index * 4 + 1)
        }
        #expect(!policy.coalescing)
        #expect(policy.firstMessage(at: at(40)) == .drainNow)
    }

    @Test("a loop idle for a whole window drains the next message at once, even after a fan-out")
    func idleWindowEndsCoalescing() {
        var policy = makePolicy()
        pass(&policy, shared: 1_000, endedAt: 10)
        #expect(policy.firstMessage(at: at(14)) == .drainAfter(window), "4 ms after the pass: still the same burst")
        pass(&policy, shared: 1_000, endedAt: 20)
        #expect(policy.firstMessage(at: at(25)) == .drainNow, "a whole window after the last pass ended")
        #expect(!policy.coalescing)
    }

    @Test("a message that arrives while a long pass runs is not taken for idleness")
    func longPassIsNotIdle() {
        var policy = makePolicy()
        pass(&policy, shared: 5_000, endedAt: 0)
        policy.passStarted()
        // The pass began at 0 and is still writing at 100 ms: the previous end is long ago, but the loop is busy.
        #expect(policy.firstMessage(at: at(100)) == .drainAfter(window))
        policy.passEnded(CoalescingPolicy.Pass(sharedDeliveries: 5_000, ended: at(130)))
        #expect(policy.coalescing)
    }

    @Test("with a zero window every message drains at once, whatever the passes shared")
    func zeroWindowNeverWaits() {
        var policy = CoalescingPolicy(CoalescingPolicy.Configuration(window: .zero))
        pass(&policy, shared: 1_000_000, endedAt: 0)
        #expect(policy.firstMessage(at: at(0)) == .drainNow)
    }

    @Test("two writes of a topic count as shared within two windows")
    func sharingHorizonIsTwoWindows() {
        #expect(CoalescingPolicy.Configuration(window: .milliseconds(5)).sharingHorizon == .milliseconds(10))
    }
}
