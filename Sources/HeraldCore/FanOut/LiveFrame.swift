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
        let fields = WireChunk(allocator: allocator) { SSEEncoder.appendFields(type: event.type, data: event.data, to: &$0) }
        let id = Cursor(topics: [event.topic], positions: [event.position]).encoded
        // why: reuses the encoded fields instead of splitting the data into lines a second time.
        complete = WireChunk(allocator: allocator) {
            $0.writeImmutableBuffer(fields.payload)
            SSEEncoder.appendIDAndEnd(id, to: &$0)
        }
        self.fields = fields
    }
}
