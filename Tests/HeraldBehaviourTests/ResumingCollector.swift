import HeraldClient
import Synchronization

/// What a reconnecting subscriber (the client library's, which resumes with `Last-Event-ID` as a browser
/// does) receives on one topic after `lastEventID`: its events' data, in order, and the resets it was told of.
final class ResumingCollector: Sendable {
    private final class Received: Sendable {
        let state = Mutex<(data: [String], resets: Int)>(([], 0))
    }

    private let received = Received()
    private let task: Task<Void, Never>

    init(port: Int, topic: String, after lastEventID: String) {
        let received = self.received
        task = Task {
            let subscription = Herald(server: "http://127.0.0.1:\(port)").subscribe(to: [topic], lastEventID: lastEventID)
            do {
                for try await item in subscription {
                    switch item {
                    case .event(let event): received.state.withLock { $0.data.append(event.data) }
                    case .reset: received.state.withLock { $0.resets += 1 }
                    case .disconnected: break
                    }
                }
            } catch {}
        }
    }

    var data: [String] { received.state.withLock { $0.data } }
    var resets: Int { received.state.withLock { $0.resets } }

    /// Waits until `count` events arrived (or `timeout` passed), then stops (unless `stopping` is false) and
    /// returns what arrived.
    func collect(count: Int, timeout: Duration, stopping: Bool = true) async -> [String] {
        let deadline = ContinuousClock.now + timeout
        while data.count < count, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        if stopping { task.cancel() }
        return data
    }
}
