import HeraldWire
import NIOCore

/// libFuzzer entry for the publish-body decoder: every input is read as a JSON body and as a form body.
///
/// Checks, beyond "does not crash":
/// - JSON: a parsed value's `compactText` parses back to an equal value and is a fixed point;
/// - `parseJSON`: success gives 1…maxItems messages that agree field by field with the parsed document
///   (topic, event/type, idempotencyKey, and data as a string's text or a value's compact text); a smaller
///   `maxItems` fails exactly with `batch_too_large` when the batch exceeds it; failure is a
///   `PublishBodyError` (typed throws) with a message, and an item index inside the batch;
/// - form: decoded fields re-encoded with percent-encoding decode to the same fields, and `parseForm`
///   succeeds exactly when those fields name one topic and one data, returning their values;
/// - NDJSON (a streaming publish): `NDJSONLineReader` gives the same lines and the same error whether the
///   body comes at once or in small reads; no line is longer than the limit; each line either parses (its
///   topic is its own or the default) or fails with `line N: …` and that line's number.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPublishBody(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var body = ByteBufferAllocator().buffer(capacity: size)
    body.writeBytes(bytes)
    checkJSON(bytes, body)
    checkForm(bytes, body)
    checkNDJSON(bytes, body)
    return 0
}

private func checkJSON(_ bytes: [UInt8], _ body: ByteBuffer) {
    let document: JSONValue?
    do {
        let value = try JSONParser.parse(bytes)
        let compact = value.compactText
        let reparsed: JSONValue
        do {
            reparsed = try JSONParser.parse(Array(compact.utf8))
        } catch {
            fatalError("compact text \(compact.debugDescription) does not parse: \(error)")
        }
        guard reparsed == value else { fatalError("compact text \(compact.debugDescription) parses to another value") }
        guard reparsed.compactText == compact else { fatalError("compact text of \(compact.debugDescription) is not stable") }
        document = value
    } catch {
        guard !error.message.isEmpty, error.offset >= 0, error.offset <= bytes.count else {
            fatalError("JSON error \(error) has no message or an offset outside the input")
        }
        document = nil
    }

    let result: Result<PublishBatch, PublishBodyError>
    do {
        result = .success(try PublishBodyParser.parseJSON(body))
    } catch {
        result = .failure(error)
    }
    switch result {
    case .success(let batch):
        guard let document else { fatalError("parseJSON accepted a body that is not JSON") }
        check(batch, against: document)
        let limit = 2
        do {
            let limited = try PublishBodyParser.parseJSON(body, maxItems: limit)
            guard batch.messages.count <= limit, limited == batch else {
                fatalError("maxItems \(limit) accepted a batch of \(batch.messages.count) or changed it")
            }
        } catch {
            guard error.code == .batchTooLarge, batch.messages.count > limit else {
                fatalError("maxItems \(limit) rejected a batch of \(batch.messages.count) with \(error)")
            }
        }
    case .failure(let error):
        guard !error.message.isEmpty else { fatalError("PublishBodyError \(error.code) has no message") }
        guard (document == nil) == (error.code == .malformedJSON) else {
            fatalError("rejected as \(error.code) although the body is\(document == nil ? " not" : "") JSON")
        }
        if let index = error.itemIndex {
            guard case .array(let items) = document, items.indices.contains(index) else {
                fatalError("error names item \(index), which the body does not have")
            }
        }
    }
}

private func check(_ batch: PublishBatch, against document: JSONValue) {
    let items: [JSONValue]
    switch (batch, document) {
    case (.single, .object): items = [document]
    case (.batch, .array(let elements)): items = elements
    default: fatalError("parseJSON returned \(batch) for a \(document.kindName)")
    }
    let messages = batch.messages
    guard !messages.isEmpty, messages.count == items.count, messages.count <= PublishBodyParser.defaultMaxItems else {
        fatalError("parseJSON returned \(messages.count) messages for \(items.count) items")
    }
    for (message, item) in zip(messages, items) {
        guard case .string(message.topic) = item["topic"] else { fatalError("topic \(message.topic) is not the body's") }
        switch item["data"] {
        case .string(let text)?: guard message.data == text else { fatalError("string data changed") }
        case let value?: guard message.data == value.compactText else { fatalError("data is not the compact text") }
        case nil: fatalError("message without data in the body")
        }
        let event: JSONValue? = item["event"] ?? item["type"]
        switch event {
        case .string(let text)?: guard message.event == text else { fatalError("event changed") }
        case .null?, nil: guard message.event == nil else { fatalError("event invented") }
        default: fatalError("event of kind \(event?.kindName ?? "") accepted")
        }
        switch item["idempotencyKey"] {
        case .string(let key)?: guard message.idempotencyKey == key else { fatalError("idempotency key changed") }
        case nil: guard message.idempotencyKey == nil else { fatalError("idempotency key invented") }
        default: fatalError("non-string idempotency key accepted")
        }
    }
}

private func checkForm(_ bytes: [UInt8], _ body: ByteBuffer) {
    let fields: [FormDecoder.Field]
    do {
        fields = try FormDecoder.decode(bytes)
    } catch {
        guard !error.message.isEmpty, error.offset >= 0, error.offset <= bytes.count else {
            fatalError("form error \(error) has no message or an offset outside the input")
        }
        do {
            let batch = try PublishBodyParser.parseForm(body)
            fatalError("parseForm accepted an undecodable body as \(batch)")
        } catch {
            guard error.code == .malformedForm else { fatalError("bad form encoding rejected as \(error.code)") }
        }
        return
    }
    let reencoded = fields.map { percentEncoded($0.name) + "=" + percentEncoded($0.value) }.joined(separator: "&")
    do {
        let again = try FormDecoder.decode(Array(reencoded.utf8))
        guard again.map(\.name) == fields.map(\.name), again.map(\.value) == fields.map(\.value) else {
            fatalError("form fields do not survive re-encoding as \(reencoded.debugDescription)")
        }
    } catch {
        fatalError("re-encoded form \(reencoded.debugDescription) does not decode: \(error)")
    }
    let topics = fields.filter { $0.name == "topic" }.map(\.value)
    let data = fields.filter { $0.name == "data" }.map(\.value)
    do {
        let message = try PublishBodyParser.parseForm(body).messages
        guard message.count == 1, topics == [message[0].topic], data == [message[0].data] else {
            fatalError("parseForm returned \(message) for fields \(fields)")
        }
    } catch {
        guard !error.message.isEmpty, error.code != .malformedForm else {
            fatalError("decodable form rejected as \(error.code): \(error.message)")
        }
        if error.code == .missingField, topics.count == 1, data.count == 1 {
            fatalError("form with one topic and one data rejected as missing a field")
        }
    }
}

private func checkNDJSON(_ bytes: [UInt8], _ body: ByteBuffer) {
    let limit = 48
    /// The lines of `body` read in pieces of `piece` bytes, and the error that ended the reading, if one did.
    func lines(piece: Int) -> ([[UInt8]], PublishBodyError?) {
        var reader = NDJSONLineReader(maxLineBytes: limit)
        var lines: [ByteBuffer] = []
        var rest = body
        do {
            while rest.readableBytes > 0 {
                let chunk = rest.readSlice(length: min(piece, rest.readableBytes))!
                try reader.read(chunk, into: &lines)
            }
            try reader.finish()
            return (lines.map { Array($0.readableBytesView) }, nil)
        } catch {
            return (lines.map { Array($0.readableBytesView) }, error)
        }
    }
    let (whole, wholeError) = lines(piece: max(bytes.count, 1))
    let (pieces, piecesError) = lines(piece: 1 + bytes.count % 7)
    guard whole == pieces, wholeError?.code == piecesError?.code, wholeError?.line == piecesError?.line else {
        fatalError("NDJSON read at once gives \(whole.count) lines and \(String(describing: wholeError)), in pieces \(pieces.count) and \(String(describing: piecesError))")
    }
    if let wholeError {
        guard let line = wholeError.line, line == whole.count + 1, wholeError.message.hasPrefix("line \(line)") else {
            fatalError("NDJSON error \(wholeError) does not name the line after the \(whole.count) read")
        }
    }
    for (index, line) in whole.enumerated() {
        // why: only one \r before the \n is part of the line end; a line may end in more of them.
        guard !line.isEmpty, line.count <= limit, !line.contains(UInt8(ascii: "\n")) else {
            fatalError("NDJSON line \(index + 1) is empty, too long or keeps its newline")
        }
        var buffer = ByteBufferAllocator().buffer(capacity: line.count)
        buffer.writeBytes(line)
        do {
            let message = try PublishBodyParser.parseLine(buffer, lineNumber: index + 1, defaultTopic: "default")
            guard case .object = try? JSONParser.parse(line) else { fatalError("line \(index + 1) accepted but is not a JSON object") }
            if case .string(let topic)? = (try? JSONParser.parse(line))?["topic"] {
                guard message.topic == topic else { fatalError("a line's own topic was replaced") }
            } else {
                guard message.topic == "default" else { fatalError("a line without a topic did not get the default") }
            }
        } catch {
            guard error.line == index + 1, error.message.hasPrefix("line \(index + 1): ") else {
                fatalError("line \(index + 1) refused without its number: \(error)")
            }
        }
    }
}

/// Percent-encodes every byte outside the unreserved set (RFC 3986), the strictest spelling a form may use.
private func percentEncoded(_ text: String) -> String {
    let hex = Array("0123456789ABCDEF".utf8)
    var output: [UInt8] = []
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            output.append(byte)
        default:
            output += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
        }
    }
    return String(decoding: output, as: UTF8.self)
}
