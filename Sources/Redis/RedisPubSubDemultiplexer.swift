import NIOCore

/// A message received on a subscribed channel.
public struct RedisPubSubMessage: Sendable, Hashable {
    /// The channel the message was published to.
    public let channel: String
    /// The payload, byte for byte as published.
    public let payload: ByteBuffer

    public init(channel: String, payload: ByteBuffer) {
        self.channel = channel
        self.payload = payload
    }
}

/// Where a subscriber connection reports pushes; called on the connection's event loop.
struct RedisPushHandler: Sendable {
    /// Every message of one read batch, in arrival order.
    var onMessages: @Sendable ([RedisPubSubMessage]) -> Void
    /// Redis dropped a sharded subscription on its own (slot migration): re-subscribe.
    var onServerUnsubscribe: @Sendable (String) -> Void
}

/// Separates pub/sub pushes from command replies on a RESP2 subscriber connection.
///
/// In RESP2 a confirmation (`ssubscribe ch 1`) looks exactly like a push, so every
/// written command records what confirmation it expects. A `(s)subscribe` or
/// `(s)unsubscribe` array that matches the oldest expectation is that command's
/// reply; one that does not is unsolicited (Redis dropped the subscription).
/// `message`, `smessage` and `pmessage` arrays are always pushes; they are buffered
/// until ``takeMessages()``. A pure value: it calls nobody, the owner acts on
/// what ``route(_:)`` returns.
struct RedisPubSubDemultiplexer {
    /// What to do with one parsed value.
    enum Route: Equatable {
        /// The reply of the oldest pending command.
        case reply(RESPValue)
        /// A message, now buffered for ``takeMessages()``.
        case buffered
        /// Redis dropped this sharded subscription on its own.
        case serverUnsubscribed(String)
        /// A push nobody needs (an unsolicited non-sharded confirmation, a malformed message).
        case ignored(kind: String)
    }

    private struct Confirmation: Equatable {
        var kind: String
        var channel: String
    }

    private static let confirmationKinds: Set<String> = [
        "ssubscribe", "sunsubscribe", "subscribe", "unsubscribe", "psubscribe", "punsubscribe",
    ]

    /// One entry per written command, oldest first; `nil` for a plain reply.
    private var expectations = CircularBuffer<Confirmation?>()
    private var messages: [RedisPubSubMessage] = []

    init() {}

    /// Records the reply `command` will get. Subscribe-family commands must name one channel.
    mutating func expectReply(to command: RedisCommand) {
        let kind = command.name.lowercased()
        if Self.confirmationKinds.contains(kind), command.arguments.count == 1,
            case .string(let channel) = command.arguments[0]
        {
            self.expectations.append(Confirmation(kind: kind, channel: channel))
        } else {
            self.expectations.append(nil)
        }
    }

    /// Replies still expected, one per written command whose reply has not come: bounded by the commands in
    /// flight; nothing stays once Redis answered (for the per-topic counters of `/stats`).
    var pendingReplyCount: Int { self.expectations.count }

    /// Classifies `value`; consumes the oldest expectation when it is a command reply.
    mutating func route(_ value: RESPValue) -> Route {
        guard case .array(let items) = value, let first = items.first, case .bulkString = first,
            let kind = first.string
        else {
            self.consumeExpectation()
            return .reply(value)
        }
        switch kind {
        case "message", "smessage":
            guard items.count == 3, let channel = items[1].string, let payload = items[2].bytes else {
                return .ignored(kind: kind)
            }
            self.messages.append(RedisPubSubMessage(channel: channel, payload: payload))
            return .buffered
        case "pmessage":
            guard items.count == 4, let channel = items[2].string, let payload = items[3].bytes else {
                return .ignored(kind: kind)
            }
            self.messages.append(RedisPubSubMessage(channel: channel, payload: payload))
            return .buffered
        case _ where Self.confirmationKinds.contains(kind):
            let channel = items.count > 1 ? items[1].string ?? "" : ""
            if let expected = self.expectations.first, expected == Confirmation(kind: kind, channel: channel) {
                self.consumeExpectation()
                return .reply(value)
            }
            return kind == "sunsubscribe" ? .serverUnsubscribed(channel) : .ignored(kind: kind)
        default:
            self.consumeExpectation()
            return .reply(value)
        }
    }

    /// The buffered messages in arrival order; empties the buffer.
    mutating func takeMessages() -> [RedisPubSubMessage] {
        guard !self.messages.isEmpty else {
            return []
        }
        let batch = self.messages
        self.messages = []
        return batch
    }

    private mutating func consumeExpectation() {
        if !self.expectations.isEmpty {
            self.expectations.removeFirst()
        }
    }
}
