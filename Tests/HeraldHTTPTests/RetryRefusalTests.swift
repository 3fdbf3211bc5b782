import HeraldAuth
import HeraldCore
import Testing
@testable import HeraldHTTP

/// Which refusals of a stream are temporary (a retry stream) and which stay HTTP errors.
@Suite("Temporary and permanent refusals")
struct RetryRefusalTests {
    let backoff = RefusalBackoff(base: .seconds(1))

    @Test("node full, per-address limit, shutting down and an unavailable backend are temporary")
    func temporary() {
        let errors: [any Error] = [
            EdgeError(.tooManyConnections, "full", retryAfter: 1),
            EdgeError(.tooManyConnectionsFromAddress, "per address", retryAfter: 5),
            EdgeError(.rateLimited, "slow down", retryAfter: 2),
            EdgeError(.shuttingDown, "stopping"),
            HeraldError(.backendUnavailable, "redis is down"),
        ]
        for error in errors {
            let notice = RetryRefusal.notice(for: error, backoff: backoff)
            #expect(notice != nil, "\(error)")
            #expect(notice?.message == HTTPErrorResponse(error).message)
        }
        let delay = RetryRefusal.notice(for: EdgeError(.tooManyConnectionsFromAddress, "x", retryAfter: 5), backoff: backoff)?.retryAfterMilliseconds
        #expect((500...1600).contains(delay ?? -1), "the configured base with jitter, not the fixed Retry-After: \(String(describing: delay))")
    }

    @Test("invalid requests, missing or refused credentials and unknown paths are permanent")
    func permanent() {
        let errors: [any Error] = [
            EdgeError(.missingTopic, "no topic"),
            HeraldError(.malformedCursor, "bad id"),
            AuthError(.unauthorized, "no token"),
            AuthError(.forbiddenTopic, "not yours"),
            EdgeError(.notFound, "no route"),
        ]
        for error in errors {
            #expect(RetryRefusal.notice(for: error, backoff: backoff) == nil, "\(error)")
        }
    }
}
