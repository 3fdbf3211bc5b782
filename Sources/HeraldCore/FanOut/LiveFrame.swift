import NIOCore

/// One live event, encoded once per node for every local connection of its topic.
struct LiveFrame: Sendable {
    let topic: Topic
    let position: TopicPosition
    /// `event:` and `data:` lines; connections with several topics follow it with their own `id:` chunk.
    let fields: WireChunk
    /// The complete event with the id of a one-topic cursor: what every one-topic connection receives.
    let complete: WireChunk

    init(_ event: StoredEvent, allocator: ByteBufferAllocator) {
        topic = event.topic
        position = event.position
        fields = WireChunk(allocator: allocator) { SSEEncoder.appendFields(type: event.type, data: event.data, to: &$0) }
        let id = Cursor(topics: [event.topic], positions: [event.position]).encoded
        complete = WireChunk(allocator: allocator) { SSEEncoder.appendEvent(type: event.type, data: event.data, id: id, to: &$0) }
    }
}
