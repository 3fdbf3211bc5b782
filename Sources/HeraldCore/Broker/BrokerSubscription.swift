import Synchronization

/// Live interest of one SSE connection in its topics; cancelling it releases the interest exactly once.
public final class BrokerSubscription: Sendable {
    private let release: Mutex<(@Sendable () -> Void)?>

    /// `release` runs once, on the first `cancel()`.
    public init(release: @escaping @Sendable () -> Void) {
        self.release = Mutex(release)
    }

    /// A subscription that holds nothing (for brokers that deliver every topic anyway).
    public static func none() -> BrokerSubscription { BrokerSubscription(release: {}) }

    public func cancel() {
        let action = release.withLock { stored -> (@Sendable () -> Void)? in
            defer { stored = nil }
            return stored
        }
        action?()
    }

    deinit { cancel() }
}
