import HeraldClient
import NIOCore
import Testing
@testable import HeraldCore

/// The `herald.unavailable` notice, byte for byte and as a browser's parser reads it.
@Suite("The retry notice")
struct RetryNoticeTests {
    @Test("a notice is retry:, then the herald.unavailable event with code, message and retryAfterMs, and no id")
    func bytes() {
        let notice = RetryNotice(code: "too_many_connections", message: "full; \"retry\"", retryAfterMilliseconds: 2500)
        #expect(String(buffer: notice.bytes) == """
            retry: 2500

            event: herald.unavailable
            data: {"code":"too_many_connections","message":"full; \\"retry\\"","retryAfterMs":2500}


            """)
    }

    @Test("an EventSource parser sees the retry time and one event, and keeps its last event id")
    func roundTrip() {
        let notice = RetryNotice(code: "shutting_down", message: "line one\nline two", retryAfterMilliseconds: 700)
        var parser = SSEParser(lastEventID: "cursor-1")
        let items = parser.feed(Array(notice.bytes.readableBytesView))
        #expect(items == [
            .retry(700),
            .event(SSEEvent(type: "herald.unavailable", data: #"{"code":"shutting_down","message":"line one\nline two","retryAfterMs":700}"#, id: "cursor-1")),
        ])
    }

    @Test("a negative delay is sent as 0")
    func negativeDelay() {
        #expect(RetryNotice(code: "c", message: "m", retryAfterMilliseconds: -5).retryAfterMilliseconds == 0)
    }
}
