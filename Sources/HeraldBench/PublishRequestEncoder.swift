import NIOCore

/// Writes benchmark publish requests straight into a `ByteBuffer`: the constant parts of each topic's
/// request are prepared once, and only the digits of `seq` and `ts` are written per event (no `String`,
/// no JSON encoder per request).
///
/// Guarantees: the event data is ``BenchPayload``'s text, `{"seq":N,"ts":NANOS,"topic":"…","pad":"xx…"}`,
/// exactly `payloadSize` bytes long when that fits the fields (never shorter than them); Herald gets it as a
/// JSON string in `{"topic":…,"data":…}`, or an array of those for a batch; nchan gets the data itself as
/// the body. `Content-Length` is exact; the connection stays open (HTTP/1.1 keep-alive).
struct PublishRequestEncoder: Sendable {
    /// The constant byte runs of one topic's request, with the escaping for its server already applied.
    struct Topic: Sendable {
        var index: Int
        fileprivate var requestLine: [UInt8]
        fileprivate var itemStart: [UInt8]
        fileprivate var afterSequence: [UInt8]
        fileprivate var afterTimestamp: [UInt8]
        fileprivate var itemEnd: [UInt8]
        /// Bytes of the unescaped data apart from the two numbers and the padding.
        fileprivate var dataFixedLength: Int
        /// Extra bytes escaping adds to one item, apart from the numbers and the padding.
        fileprivate var itemFixedLength: Int
    }

    let server: BenchServer
    let payloadSize: Int
    /// Topics are `<topicPrefix>-<index>`.
    let topicPrefix: String
    private let headers: [UInt8]

    init(server: BenchServer, host: String, port: Int, payloadSize: Int, topicPrefix: String = "bench") {
        self.server = server
        self.payloadSize = payloadSize
        self.topicPrefix = topicPrefix
        headers = Array("Host: \(host):\(port)\r\nContent-Type: application/json\r\nContent-Length: ".utf8)
    }

    /// The prepared parts for topic `<topicPrefix>-<index>`.
    func topic(index: Int) -> Topic {
        let name = "\(topicPrefix)-\(index)"
        let dataParts = [#"{"seq":"#, #","ts":"#, #","topic":"\#(name)","pad":""#, #""}"#]
        let dataFixed = dataParts.reduce(0) { $0 + $1.utf8.count }
        switch server {
        case .herald:
            let escaped = dataParts.map { String($0.flatMap { $0 == "\"" ? ["\\", "\""] : [$0] }) }
            let start = #"{"topic":"\#(name)","data":""# + escaped[0]
            let end = escaped[3] + #""}"#
            return Topic(
                index: index, requestLine: Array("POST /publish HTTP/1.1\r\n".utf8), itemStart: Array(start.utf8),
                afterSequence: Array(escaped[1].utf8), afterTimestamp: Array(escaped[2].utf8), itemEnd: Array(end.utf8),
                dataFixedLength: dataFixed,
                itemFixedLength: start.utf8.count + escaped[1].utf8.count + escaped[2].utf8.count + end.utf8.count
            )
        case .nchan:
            return Topic(
                index: index, requestLine: Array("POST /pub?topic=\(name) HTTP/1.1\r\n".utf8),
                itemStart: Array(dataParts[0].utf8), afterSequence: Array(dataParts[1].utf8),
                afterTimestamp: Array(dataParts[2].utf8), itemEnd: Array(dataParts[3].utf8),
                dataFixedLength: dataFixed, itemFixedLength: dataFixed
            )
        }
    }

    /// Writes one request carrying `count` events of `topic`, with sequence numbers from `firstSequence`,
    /// all stamped `timestamp`. Herald gets a JSON array when `count` > 1.
    func writeRequest(topic: Topic, firstSequence: UInt64, count: Int, timestamp: UInt64, into buffer: inout ByteBuffer) {
        let asArray = count > 1
        var bodyLength = asArray ? 1 + count : 0  // why: "[", "]" and count − 1 commas.
        for offset in 0..<count {
            bodyLength += itemLength(topic, sequence: firstSequence + UInt64(offset), timestamp: timestamp)
        }
        buffer.writeBytes(topic.requestLine)
        buffer.writeBytes(headers)
        buffer.writeDecimal(UInt64(bodyLength))
        buffer.writeStaticString("\r\n\r\n")
        if asArray { buffer.writeStaticString("[") }
        for offset in 0..<count {
            if offset > 0 { buffer.writeStaticString(",") }
            let sequence = firstSequence + UInt64(offset)
            buffer.writeBytes(topic.itemStart)
            buffer.writeDecimal(sequence)
            buffer.writeBytes(topic.afterSequence)
            buffer.writeDecimal(timestamp)
            buffer.writeBytes(topic.afterTimestamp)
            buffer.writeRepeatingByte(UInt8(ascii: "x"), count: padding(topic, sequence: sequence, timestamp: timestamp))
            buffer.writeBytes(topic.itemEnd)
        }
        if asArray { buffer.writeStaticString("]") }
    }

    private func padding(_ topic: Topic, sequence: UInt64, timestamp: UInt64) -> Int {
        max(payloadSize - topic.dataFixedLength - sequence.decimalDigits - timestamp.decimalDigits, 0)
    }

    private func itemLength(_ topic: Topic, sequence: UInt64, timestamp: UInt64) -> Int {
        topic.itemFixedLength + sequence.decimalDigits + timestamp.decimalDigits + padding(topic, sequence: sequence, timestamp: timestamp)
    }
}

extension UInt64 {
    /// How many decimal digits the number has (1 for 0).
    var decimalDigits: Int {
        var count = 1
        var rest = self / 10
        while rest > 0 {
            count += 1
            rest /= 10
        }
        return count
    }
}

extension ByteBuffer {
    /// Writes `value` in decimal ASCII, without creating a `String`.
    mutating func writeDecimal(_ value: UInt64) {
        var divisor: UInt64 = 1
        while value / divisor >= 10 { divisor *= 10 }
        while divisor > 0 {
            writeInteger(UInt8(ascii: "0") + UInt8(value / divisor % 10))
            divisor /= 10
        }
    }
}
