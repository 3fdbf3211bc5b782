import Testing
import HeraldWire

@Suite("Publish bodies in JSON")
struct PublishBodyParserJSONTests {
    private func parse(_ text: String, maxItems: Int = PublishBodyParser.defaultMaxItems) throws(PublishBodyError) -> PublishBatch {
        try PublishBodyParser.parseJSON(ByteBufferFixture.make(text), maxItems: maxItems)
    }

    private func failure(_ text: String, maxItems: Int = PublishBodyParser.defaultMaxItems) -> PublishBodyError? {
        do {
            _ = try parse(text, maxItems: maxItems)
            return nil
        } catch {
            return error
        }
    }

    @Test("a single object becomes a single message")
    func single() throws {
        let batch = try parse(#"{"topic": "orders/42", "data": "hello", "event": "order.updated"}"#)
        #expect(batch == .single(PublishMessage(topic: "orders/42", event: "order.updated", data: "hello")))
        #expect(!batch.isBatch)
    }

    @Test("string data is used decoded, other data as compact JSON text", arguments: [
        (#""line 1\nline \"2\"""#, "line 1\nline \"2\""),
        (#" { "b" : 1.50 , "a" : [ true , null ] } "#, #"{"b":1.50,"a":[true,null]}"#),
        ("12e3", "12e3"),
        ("null", "null"),
        ("[]", "[]"),
        (#""""#, ""),
    ])
    func data(json: String, expected: String) throws {
        let batch = try parse(#"{"topic":"t","data":"# + json + "}")
        #expect(batch.messages.first?.data == expected)
    }

    @Test("an array is a batch in order, even with one item")
    func batch() throws {
        let batch = try parse(#"[{"topic":"a","data":1},{"data":{"x":2},"topic":"b","type":"t"}]"#)
        #expect(batch == .batch([
            PublishMessage(topic: "a", data: "1"),
            PublishMessage(topic: "b", event: "t", data: #"{"x":2}"#),
        ]))
        #expect(try parse(#"[{"topic":"a","data":1}]"#).isBatch)
    }

    @Test("type is an alias of event and a null event means none")
    func eventAlias() throws {
        #expect(try parse(#"{"topic":"t","data":"","type":"x"}"#).messages[0].event == "x")
        #expect(try parse(#"{"topic":"t","data":"","event":null}"#).messages[0].event == nil)
    }

    @Test("topic and event content is not validated here")
    func noContentValidation() throws {
        let batch = try parse(#"{"topic":"","data":"","event":"a\nb"}"#)
        #expect(batch.messages[0] == PublishMessage(topic: "", event: "a\nb", data: ""))
    }

    @Test("invalid bodies fail with a stable code, the failing item and the field", arguments: [
        (#"{"topic":"t","data":1"#, "malformed_json", nil, nil),
        (#""just a string""#, "invalid_body", nil, nil),
        ("[]", "empty_batch", nil, nil),
        (#"[{"topic":"a","data":1}, 7]"#, "invalid_body", 1, nil),
        (#"{"data":1}"#, "missing_field", nil, "topic"),
        (#"{"topic":"t"}"#, "missing_field", nil, "data"),
        (#"{"topic":42,"data":1}"#, "invalid_field", nil, "topic"),
        (#"{"topic":null,"data":1}"#, "invalid_field", nil, "topic"),
        (#"{"topic":"t","data":1,"event":3}"#, "invalid_field", nil, "event"),
        (#"{"topci":"t","data":1}"#, "unknown_field", nil, "topci"),
        (#"{"topic":"t","data":1,"event":"a","type":"b"}"#, "conflicting_fields", nil, "type"),
        (#"[{"topic":"a","data":1},{"topic":"b","data":2},{"topic":"c","dta":3}]"#, "unknown_field", 2, "dta"),
        (#"[{"topic":"a","data":1},{"topic":"b"}]"#, "missing_field", 1, "data"),
    ] as [(String, String, Int?, String?)])
    func rejects(text: String, code: String, itemIndex: Int?, field: String?) {
        let error = failure(text)
        #expect(error?.code.description == code, "\(text): \(String(describing: error))")
        #expect(error?.itemIndex == itemIndex)
        #expect(error?.field == field)
    }

    @Test("a typo in a key is named, with a suggestion and the allowed fields")
    func typoMessage() {
        let error = failure(#"[{"topic":"a","data":1},{"topci":"b","data":2}]"#)
        #expect(error?.message == #"item 1: unknown field "topci" (did you mean "topic"?); allowed fields are topic, data, event (or its alias type), idempotencyKey"#)
    }

    @Test("malformed JSON keeps the parser's offset in the message and as the underlying error")
    func malformedMessage() {
        let error = failure(#"{"topic":"t" "data":1}"#)
        #expect(error?.message == "body is not valid JSON: expected ',' or '}' after object member but found '\"' at byte 13")
        #expect((error?.underlying as? JSONParseError)?.offset == 13)
    }

    @Test("batches larger than the limit are refused before any item is read")
    func batchLimit() throws {
        let items = Array(repeating: #"{"topic":"t","data":1}"#, count: 3).joined(separator: ",")
        #expect(failure("[\(items)]", maxItems: 2)?.code == .batchTooLarge)
        #expect(try parse("[\(items)]", maxItems: 3).messages.count == 3)
        #expect(failure("[" + Array(repeating: "1", count: 1001).joined(separator: ",") + "]")?.code == .batchTooLarge)
    }
}
