/// Validation of the idempotency key a publisher may give an event (`Idempotency-Key` header or
/// `idempotencyKey` field), so that a retry after an unknown outcome stores the event at most once.
public enum IdempotencyKey {
    /// The longest key accepted, in bytes.
    public static let maximumLength = 200

    /// Checks that `key` is 1 to 200 visible ASCII characters (no spaces or control characters), which fits
    /// in a header, a Redis key name and a log line alike.
    public static func validate(_ key: String) throws(HeraldError) {
        guard !key.isEmpty, key.utf8.count <= maximumLength else {
            throw HeraldError(.invalidIdempotencyKey, "the idempotency key must be 1 to \(maximumLength) characters long; use for example a UUID")
        }
        guard key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw HeraldError(.invalidIdempotencyKey, "the idempotency key may contain only visible ASCII characters (no spaces or control characters); use for example a UUID")
        }
    }
}
