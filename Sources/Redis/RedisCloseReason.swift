import Synchronization

/// The error that ended a connection, recorded by its channel handler on the event loop and read by the
/// connection's owner after the close, so that a lost connection is logged once, with its cause.
final class RedisCloseReason: Sendable {
    private let error = Mutex<RedisError?>(nil)

    /// Keeps the first error recorded; later ones are ignored.
    func record(_ error: RedisError) {
        self.error.withLock { current in
            if current == nil { current = error }
        }
    }

    /// The recorded error, or nil when the connection closed without one (the peer closed it).
    var recorded: RedisError? {
        self.error.withLock { $0 }
    }
}
