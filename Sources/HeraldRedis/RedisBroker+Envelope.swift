import HeraldCore
import NIOCore

extension RedisBroker {
    /// The live message the publish script sends: `<epoch> <ms>-<ordinal> <event type>\n<data>`.
    /// The event type is empty for plain messages and never contains LF (validated at publish), so the
    /// first LF ends the header and everything after it is data, byte for byte.
    enum Envelope {
        static func decode(_ payload: ByteBuffer, topic: Topic) -> StoredEvent? {
            guard let newline = payload.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
            let headerLength = newline - payload.readerIndex
            guard let header = payload.getString(at: payload.readerIndex, length: headerLength),
                  let data = payload.getSlice(at: newline + 1, length: payload.readableBytes - headerLength - 1)
            else { return nil }
            let parts = header.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, let epoch = UInt32(parts[0]), let id = StreamID(parts[1]) else { return nil }
            return StoredEvent(
                topic: topic,
                position: TopicPosition(epoch: epoch, id: id),
                type: parts[2].isEmpty ? nil : String(parts[2]),
                data: data
            )
        }
    }
}
