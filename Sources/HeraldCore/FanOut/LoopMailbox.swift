import NIOCore
import Synchronization

/// Hands live frames (and the healing's hold and release) from any thread to one event loop's registry, in
/// order, so that the loop takes everything that piled up while it was busy in one pass.
///
/// Guarantees: messages are handled on the registry's loop in the order they were posted; at most one drain
/// task is scheduled at a time, so frames posted while the loop writes a previous pass are written together
/// in the next one, with one flush per connection. When the drain runs is `CoalescingPolicy`'s decision: at
/// once while the loop's passes are small (a lone stream's event waits for nothing), the coalescing window
/// after the first message of a pass while its passes keep writing a fan-out's connections, so that each
/// connection gets several events per socket write, which is what keeps the number of writes (≈10 µs of
/// kernel time each) below what the cores can do.
final class LoopMailbox: Sendable {
    enum Message: Sendable {
        case frames([LiveFrame])
        /// Hold the live frames of `topics` (nil: of every topic).
        case hold(generation: UInt64, topics: Set<Topic>?)
        /// End the holds of `healed` (and of every topic, with `everyTopic`) made up to `generation`.
        case releaseHold(generation: UInt64, healed: Set<Topic>, everyTopic: Bool, backfill: [LiveFrame], unhealed: Set<Topic>)
    }

    private struct State {
        var messages: [Message] = []
        var drainScheduled = false
        var policy: CoalescingPolicy
    }

    let registry: NIOLoopBoundBox<LoopRegistry>
    private let sharingHorizon: TimeAmount
    private let state: Mutex<State>

    init(registry: NIOLoopBoundBox<LoopRegistry>, coalescing: CoalescingPolicy.Configuration) {
        self.registry = registry
        sharingHorizon = coalescing.sharingHorizon
        state = Mutex(State(policy: CoalescingPolicy(coalescing)))
    }

    var eventLoop: any EventLoop { registry.eventLoop }

    func post(_ message: Message) {
        let loop = eventLoop
        let action: CoalescingPolicy.Action? = state.withLock { state in
            state.messages.append(message)
            guard !state.drainScheduled else { return nil }
            state.drainScheduled = true
            return state.policy.firstMessage()
        }
        switch action {
        case nil:
            return
        case .drainNow:
            loop.execute { self.drain() }
        case .drainAfter(let delay):
            loop.scheduleTask(in: delay) { self.drain() }
        }
    }

    private func drain() {
        var messages: [Message] = []
        state.withLock { state in
            state.drainScheduled = false
            swap(&messages, &state.messages)
        }
        let started = eventLoop.now
        let shared = registry.value.handle(messages, at: started, sharedSince: started - sharingHorizon)
        let pass = CoalescingPolicy.Pass(sharedDeliveries: shared)
        state.withLock { $0.policy.passEnded(pass) }
    }
}
