import Testing
import HeraldWire

@Suite("Publish bodies as forms")
struct PublishBodyParserFormTests {
    private func failure(_ text: String) -> PublishBodyError? {
        do {
            _ = try PublishBodyParser.parseForm(ByteBufferFixture.make(text))
            return nil
        } catch {
            return error
        }
    }

    @Test("a form is one message with its fields decoded", arguments: [
        ("topic=orders%2F42&data=hello+world&event=order.updated", PublishMessage(topic: "orders/42", event: "order.updated", data: "hello world")),
        ("data=&topic=t", PublishMessage(topic: "t", data: "")),
        ("topic=t&data=a%0Ab&type=x", PublishMessage(topic: "t", event: "x", data: "a\nb")),
        ("topic=t&data=x&event=", PublishMessage(topic: "t", data: "x")),
    ])
    func parses(body: String, expected: PublishMessage) throws {
        #expect(try PublishBodyParser.parseForm(ByteBufferFixture.make(body)) == .single(expected))
    }

    @Test("invalid forms fail with a stable code and the field", arguments: [
        ("topic=t&data=%zz", "malformed_form", nil),
        ("data=x", "missing_field", "topic"),
        ("topic=t", "missing_field", "data"),
        ("topic=a&topic=b&data=x", "invalid_field", "topic"),
        ("topic=a&data=x&data=y", "invalid_field", "data"),
        ("topic=a&data=x&event=e&type=f", "conflicting_fields", "type"),
        ("topic=a&data=x&event=e&event=f", "invalid_field", "event"),
        ("topic=a&data=x&evnt=e", "unknown_field", "evnt"),
    ] as [(String, String, String?)])
    func rejects(body: String, code: String, field: String?) {
        let error = failure(body)
        #expect(error?.code.description == code, "\(body): \(String(describing: error))")
        #expect(error?.field == field)
        #expect(error?.itemIndex == nil)
    }

    @Test("a repeated topic says how to publish to several topics")
    func repeatedTopicMessage() {
        #expect(failure("topic=a&topic=b&data=x")?.message.contains("send a JSON array") == true)
    }
}
