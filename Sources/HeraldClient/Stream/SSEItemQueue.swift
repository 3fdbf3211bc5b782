import NIOCore
import Synchronization

/// The hand-off between an event-stream channel (producer, on its event loop) and one consuming task.
///
/// Guarantees: items come out in the order they went in; after ``finish(_:)`` the remaining items are still
/// returned, then `nil` (or the error); a waiting ``next(timeout:)`` is woken by an item, the end, its
/// timeout or the cancellation of its task, exactly once. Items are buffered without limit: this serves
/// tests, whose streams are short; the load generator uses ``SSELoadConnection`` instead.
final class SSEItemQueue: Sendable {
    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<SSEParser.Item?, any Error>
        var timer: Scheduled<Void>?
    }

    private struct State {
        var items: [SSEParser.Item] = []
        var head = 0
        var end: Result<Void, HeraldClientError>?
        var waiter: Waiter?
        var abandonedWaiterID: UInt64?
        var nextWaiterID: UInt64 = 0
        var rawBytes = ByteBuffer()
        var lastEventID: String?
    }

    private let state = Mutex(State())
    private let eventLoop: any EventLoop

    init(eventLoop: any EventLoop, lastEventID: String? = nil) {
        self.eventLoop = eventLoop
        self.state.withLock { $0.lastEventID = lastEventID }
    }

    /// The parser's last event id string after the body received so far.
    var lastEventID: String? {
        get { state.withLock { $0.lastEventID } }
        set { state.withLock { $0.lastEventID = newValue } }
    }

    /// The body bytes received so far, de-chunked.
    var rawBytes: ByteBuffer { state.withLock { $0.rawBytes } }

    func append(rawBytes bytes: ByteBuffer) {
        state.withLock { _ = $0.rawBytes.writeImmutableBuffer(bytes) }
    }

    func deliver(_ item: SSEParser.Item) {
        let waiter = state.withLock { state -> Waiter? in
            guard state.end == nil else { return nil }
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.items.append(item)
            return nil
        }
        waiter?.timer?.cancel()
        waiter?.continuation.resume(returning: item)
    }

    /// Ends the queue: with `nil` the consumer sees the end of the sequence, otherwise `error`.
    func finish(_ error: HeraldClientError?) {
        let waiter = state.withLock { state -> Waiter? in
            if state.end == nil { state.end = error.map { .failure($0) } ?? .success(()) }
            defer { state.waiter = nil }
            return state.waiter
        }
        guard let waiter else { return }
        waiter.timer?.cancel()
        if let error { waiter.continuation.resume(throwing: error) } else { waiter.continuation.resume(returning: nil) }
    }

    /// The next item; `nil` once the stream ended. Throws ``HeraldClientError/Code/timedOut`` when nothing
    /// arrives within `timeout` (the stream stays usable), `CancellationError` when the task is cancelled.
    func next(timeout: Duration?) async throws -> SSEParser.Item? {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let immediate = state.withLock { state -> Result<SSEParser.Item?, any Error>? in
                    if state.head < state.items.count {
                        let item = state.items[state.head]
                        state.head += 1
                        if state.head == state.items.count {
                            state.items.removeAll(keepingCapacity: true)
                            state.head = 0
                        }
                        return .success(item)
                    }
                    if let end = state.end { return end.map { nil }.mapError { $0 } }
                    if state.abandonedWaiterID == id { return .failure(CancellationError()) }
                    precondition(state.waiter == nil, "an SSEStream must be consumed by one task at a time")
                    state.waiter = Waiter(id: id, continuation: continuation)
                    return nil
                }
                if let immediate {
                    continuation.resume(with: immediate)
                    return
                }
                guard let timeout else { return }
                let timer = eventLoop.scheduleTask(in: TimeAmount(timeout)) {
                    self.abandonWaiter(id, HeraldClientError(.timedOut, "no event-stream item arrived within \(timeout)"))
                }
                let stale = state.withLock { state -> Bool in
                    guard state.waiter?.id == id else { return true }
                    state.waiter?.timer = timer
                    return false
                }
                if stale { timer.cancel() }
            }
        } onCancel: {
            abandonWaiter(id, CancellationError())
        }
    }

    private func abandonWaiter(_ id: UInt64, _ error: any Error) {
        let waiter = state.withLock { state -> Waiter? in
            guard let waiter = state.waiter, waiter.id == id else {
                state.abandonedWaiterID = id
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.timer?.cancel()
        waiter?.continuation.resume(throwing: error)
    }
}
