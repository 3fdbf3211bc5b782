import NIOCore

/// Decides when an event loop's mailbox drains: at once, or a coalescing window after the first message of a
/// pass. A pure state machine without clock or I/O: the mailbox tells it what each pass wrote, and carries out
/// the action it returns.
///
/// Guarantees:
/// - An idle loop writes at once, so a lone stream's event waits for no window.
/// - A loop whose last pass wrote many deliveries that shared their connections' writes with other events,
///   or would have had it waited (`Pass.sharedDeliveries` at or above `busyThreshold`: a
///   fan-out that keeps coming back), waits `window` after the first message of each pass, so each
///   connection gets the events of the window in one socket write. The window is the longest an event waits.
/// - It writes at once again after `calmPasses` passes in a row below the threshold. A gap between passes does
///   not end it. why: under a fan-out the gap is often a publisher held back by a late answer, and a pass of
///   hundreds of writes run at once delays the next answer on the same loop (fan1k was throttled, issue 13).
/// - With a zero window it always drains at once (what arrives while the loop is busy still shares a pass).
struct CoalescingPolicy: Sendable {
    struct Configuration: Sendable {
        /// The wait under load: how long after the first message of a pass the mailbox drains.
        var window: TimeAmount
        /// Shared deliveries in one pass from which the next passes wait for the window.
        /// why: 32 shared deliveries are about 0.3 ms of socket writes (≈10 µs each on loopback) that waiting would
        /// save per pass; a lone stream, or a few tabs open on one answer, never get there, a fan-out to
        /// hundreds of connections does with its second event.
        var busyThreshold = 32
        /// Passes in a row below `busyThreshold` before writing at once again.
        /// why: a steady fan-out has the odd pass that shares nothing (the publisher's jitter puts an event just
        /// past the horizon); switching back on one such pass would write the next events one by one.
        var calmPasses = 8

        init(window: TimeAmount) {
            self.window = window
        }

        /// Two writes of a topic this close together count as shared.
        /// why: under a window, a steady load's passes are a window and a pass apart; a topic written again
        /// within two windows is one that waiting keeps merging, and the window's own spacing does not hide it.
        var sharingHorizon: TimeAmount { window * 2 }
    }

    enum Action: Equatable, Sendable {
        case drainNow
        case drainAfter(TimeAmount)
    }

    /// What a pass wrote, as the registry counts it.
    struct Pass: Equatable, Sendable {
        /// Deliveries that shared a connection's write with another event in the pass, or whose topic had
        /// been written within `sharingHorizon` before it (they would have shared one had the loop waited):
        /// deliveries (events × connections of their topic) minus connections written, plus, for each run of
        /// a recently written topic, its connections.
        var sharedDeliveries: Int
    }

    let configuration: Configuration
    /// True while passes wait for the window.
    private(set) var coalescing = false
    private var calmPassesInARow = 0

    init(_ configuration: Configuration) {
        self.configuration = configuration
    }

    /// The first message since the last drain started: when should the loop drain?
    mutating func firstMessage() -> Action {
        guard configuration.window > .zero, coalescing else { return .drainNow }
        return .drainAfter(configuration.window)
    }

    /// The pass is written (and flushed).
    mutating func passEnded(_ pass: Pass) {
        if pass.sharedDeliveries >= configuration.busyThreshold {
            coalescing = true
            calmPassesInARow = 0
        } else if coalescing {
            calmPassesInARow += 1
            if calmPassesInARow >= configuration.calmPasses { stopCoalescing() }
        }
    }

    private mutating func stopCoalescing() {
        coalescing = false
        calmPassesInARow = 0
    }
}
