@testable import HeraldRedis
import HeraldCore
import NIOCore
import Redis

/// libFuzzer entry for the Redis reply path: RESP2 bytes from the server → `RESPParser` → replies, and
/// every bulk string of a reply → the live envelope decoder, as a pub/sub message payload would go.
///
/// Checks, beyond "does not crash":
/// - the replies (and whether a protocol error ends them) are the same whether the bytes arrive at once or
///   split into chunks at input-derived points, as TCP may deliver them;
/// - every reply written back as RESP2 parses to the same reply;
/// - a decoded envelope's data is exactly the payload after its first LF, its event type is nil or a
///   non-empty line, and the envelope written back in the publish script's format decodes to the same event.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRedisReply(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let whole = parse([ArraySlice(bytes)])
    let split = parse(chunks(of: bytes))
    guard whole == split else {
        fatalError("replies differ when split: \(whole) at once, \(split) in chunks")
    }
    for reply in whole.replies {
        var wire: [UInt8] = []
        serialize(reply, into: &wire)
        let again = parse([ArraySlice(wire)])
        guard again.replies == [reply], !again.failed else {
            fatalError("reply \(reply) written back as \(String(decoding: wire, as: UTF8.self).debugDescription) parses to \(again)")
        }
        checkEnvelopes(in: reply)
    }
    return 0
}

private struct Outcome: Equatable, CustomStringConvertible {
    var replies: [RESPValue] = []
    var failed = false
    var description: String { "\(replies)\(failed ? " then a protocol error" : "")" }
}

/// Feeds `chunks` one by one, draining complete replies after each, as `RedisChannelHandler.channelRead` does.
private func parse(_ chunks: [ArraySlice<UInt8>]) -> Outcome {
    let parser = RESPParser()
    var outcome = Outcome()
    do {
        for chunk in chunks {
            var buffer = ByteBufferAllocator().buffer(capacity: chunk.count)
            buffer.writeBytes(chunk)
            try parser.feed(buffer)
            while let reply = try parser.next() {
                outcome.replies.append(reply)
            }
        }
    } catch {
        guard error.code == .protocolError else { fatalError("parser threw \(error), not a protocol error") }
        outcome.failed = true
    }
    return outcome
}

/// Splits `bytes` into chunks of 1…16 bytes; the sizes come from a generator seeded by the input itself,
/// so a crash reproduces from the input alone.
private func chunks(of bytes: UnsafeBufferPointer<UInt8>) -> [ArraySlice<UInt8>] {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
    for byte in bytes.prefix(8) { state = state &* 31 &+ UInt64(byte) }
    let all = Array(bytes)
    var result: [ArraySlice<UInt8>] = []
    var start = 0
    while start < all.count {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        let length = min(Int(state >> 60) + 1, all.count - start)
        result.append(all[start..<start + length])
        start += length
    }
    return result
}

private func serialize(_ value: RESPValue, into wire: inout [UInt8]) {
    switch value {
    case .simpleString(let text):
        wire += Array("+\(text)\r\n".utf8)
    case .error(let text):
        wire += Array("-\(text)\r\n".utf8)
    case .integer(let number):
        wire += Array(":\(number)\r\n".utf8)
    case .bulkString(let buffer):
        wire += Array("$\(buffer.readableBytes)\r\n".utf8)
        wire += buffer.readableBytesView
        wire += Array("\r\n".utf8)
    case .null:
        wire += Array("$-1\r\n".utf8)
    case .array(let elements):
        wire += Array("*\(elements.count)\r\n".utf8)
        for element in elements { serialize(element, into: &wire) }
    }
}

private let topic = try! Topic("fuzz/topic")

private func checkEnvelopes(in reply: RESPValue) {
    switch reply {
    case .bulkString(let payload):
        checkEnvelope(payload)
    case .array(let elements):
        for element in elements { checkEnvelopes(in: element) }
    case .simpleString, .error, .integer, .null:
        break
    }
}

private func checkEnvelope(_ payload: ByteBuffer) {
    guard let event = RedisBroker.Envelope.decode(payload, topic: topic) else { return }
    let bytes = Array(payload.readableBytesView)
    guard let newline = bytes.firstIndex(of: UInt8(ascii: "\n")), event.data == ByteBuffer(bytes: bytes[(newline + 1)...]) else {
        fatalError("envelope data is not the payload after the first LF: \(event)")
    }
    guard event.topic == topic else { fatalError("envelope changed the topic to \(event.topic)") }
    if let type = event.type, type.isEmpty || type.contains("\n") {
        fatalError("envelope event type \(type.debugDescription) is empty or spans lines")
    }
    var again = ByteBuffer(string: "\(event.position.epoch) \(event.position.id) \(event.type ?? "")\n")
    again.writeImmutableBuffer(event.data)
    guard RedisBroker.Envelope.decode(again, topic: topic) == event else {
        fatalError("envelope \(event) written back does not decode to itself")
    }
}
