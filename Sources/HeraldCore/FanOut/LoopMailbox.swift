import NIOCore
import Synchronization

/// Hands live frames (and the healing's hold and release) from any thread to one event loop's registry, in
/// order, so that the loop takes everything that piled up while it was busy in one pass.
///
/// Guarantees: messages are handled on the registry's loop in the order they were posted; at most one drain
/// task is scheduled at a time, so frames posted while the loop writes a previous pass are written together
/// in the next one, with one flush per connection. This is write coalescing without a timer: under light load
/// every event is written at once; under heavy load each connection gets several events per socket write,
/// which is what keeps the number of writes (≈10 µs of kernel time each) below what the cores can do.
/// With a `window`, the drain is delayed by that much after the first message of a pass, trading that much
/// latency for fewer writes even under light load.
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
    }

    let registry: NIOLoopBoundBox<LoopRegistry>
    private let window: TimeAmount
    private let state = Mutex(State())

    init(registry: NIOLoopBoundBox<LoopRegistry>, window: TimeAmount) {
        self.registry = registry
        self.window = window
    }

    var eventLoop: any EventLoop { registry.eventLoop }

    func post(_ message: Message) {
        let schedule = state.withLock { state in
            state.messages.append(message)
            guard !state.drainScheduled else { return false }
            state.drainScheduled = true
            return true
        }
        guard schedule else { return }
        if window > .zero {
            eventLoop.scheduleTask(in: window) { self.drain() }
        } else {
            eventLoop.execute { self.drain() }
        }
    }

    private func drain() {
        var messages: [Message] = []
        state.withLock { state in
            state.drainScheduled = false
            swap(&messages, &state.messages)
        }
        registry.value.handle(messages)
    }
}
