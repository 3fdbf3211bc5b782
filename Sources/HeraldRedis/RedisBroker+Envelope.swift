import HeraldCore
import NIOCore

extension RedisBroker {
    /// The live message the publish script sends: `<epoch> <ms>-<ordinal> <event type>\n<data>`.
    /// The event type is empty for plain messages and never contains LF (validated at publish), so the
    /// first LF ends the header and everything after it is data, byte for byte.
    enum Envelope {
        static func decode(_ payload: ByteBuffer, topic: Topic) -> StoredEvent? {
            let bytes = payload.readableBytesView
            guard let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
            let header = bytes[..<newline]
            guard let epochEnd = header.firstIndex(of: UInt8(ascii: " ")),
                  let idEnd = header[(epochEnd + 1)...].firstIndex(of: UInt8(ascii: " ")),
                  let epoch = ASCIIDecimal.parse(header[..<epochEnd]).flatMap(UInt32.init(exactly:)),
                  let id = StreamID(ascii: header[(epochEnd + 1)..<idEnd]),
                  let data = payload.getSlice(at: newline + 1, length: bytes.endIndex - newline - 1)
            else { return nil }
            let type = header[(idEnd + 1)...]
            return StoredEvent(
                topic: topic,
                position: TopicPosition(epoch: epoch, id: id),
                type: type.isEmpty ? nil : String(decoding: type, as: UTF8.self),
                data: data
            )
        }
    }
}
