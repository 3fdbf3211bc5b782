import Synchronization
@testable import HeraldCore

/// A history reader over another one that counts the reads made, and can hold the first read until the
/// test opens its gate (so that every request of a test arrives while that read is in flight).
final class CountingReader: TopicHistoryReading {
    struct Failure: Error, Equatable {}

    let source: any TopicHistoryReading
    private let counted = Atomic<Int>(0)
    private let gate: AsyncStream<Void>?
    private let opener: AsyncStream<Void>.Continuation?
    private let failing = Atomic<Bool>(false)

    init(_ source: any TopicHistoryReading, holdingFirstRead: Bool = false) {
        self.source = source
        if holdingFirstRead {
            let (stream, continuation) = AsyncStream.makeStream(of: Void.self)
            (gate, opener) = (stream, continuation)
        } else {
            (gate, opener) = (nil, nil)
        }
    }

    /// Reads made so far.
    var reads: Int { counted.load(ordering: .relaxed) }

    /// Lets the held first read go on.
    func openGate() { opener?.finish() }

    /// From now on every read throws `Failure`.
    func failReads() { failing.store(true, ordering: .relaxed) }

    func history(of topic: Topic, after: StreamID?, limit: Int) async throws -> TopicHistory {
        let number = counted.add(1, ordering: .relaxed).newValue
        if number == 1, let gate {
            for await _ in gate {}
            try Task.checkCancellation()
        }
        if failing.load(ordering: .relaxed) { throw Failure() }
        return try await source.history(of: topic, after: after, limit: limit)
    }
}
