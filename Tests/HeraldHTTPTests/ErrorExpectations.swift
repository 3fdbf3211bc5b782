import HeraldClient
import TestSupport
import Testing

/// Checks an error response: its status, JSON content type, error code, and that the message mentions `hint`.
func expectError(_ response: HTTPClientResponse, status: Int, code: String, hint: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(response.status == status, sourceLocation: sourceLocation)
    #expect(response.header("content-type") == "application/json", sourceLocation: sourceLocation)
    #expect(TestNode.field("code", in: response.bodyText) == code, "\(response.bodyText)", sourceLocation: sourceLocation)
    let message = TestNode.field("message", in: response.bodyText) ?? ""
    #expect(message.contains(hint), "message \(message.debugDescription) should mention \(hint.debugDescription)", sourceLocation: sourceLocation)
}
