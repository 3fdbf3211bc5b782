import NIOCore

extension PublishBodyParser {
    /// Parses one line of a newline-delimited (NDJSON) publish body: one JSON object with the fields of
    /// ``parseJSON(_:maxItems:)``, except that `topic` may be left out when `defaultTopic` (the request's
    /// `?topic=`) is given; a line's own `topic` wins over it.
    ///
    /// Errors carry ``PublishBodyError/line`` and say "line N: …" (`lineNumber` is one-based, as editors count).
    public static func parseLine(_ line: ByteBuffer, lineNumber: Int, defaultTopic: String?) throws(PublishBodyError) -> PublishMessage {
        do throws(PublishBodyError) {
            let document: JSONValue
            do {
                document = try JSONParser.parse(line)
            } catch {
                throw PublishBodyError(
                    .malformedJSON, "not valid JSON: \(error.message); send one JSON object a line, each ended by \\n", underlying: error
                )
            }
            guard case .object(let members) = document else {
                throw PublishBodyError(
                    .invalidBody, "each line must be a JSON object like {\"data\":…} (with \"topic\" unless ?topic= names it), found \(document.kindName)"
                )
            }
            return try message(from: members, itemIndex: nil, defaultTopic: defaultTopic)
        } catch {
            var error = error
            error.line = lineNumber
            error.message = "line \(lineNumber): \(error.message)"
            throw error
        }
    }
}
