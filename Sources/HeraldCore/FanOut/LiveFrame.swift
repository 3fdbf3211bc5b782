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

extension LiveFrame {
    /// True when this frame is the event right after `previous` in the same topic.
    func follows(_ previous: LiveFrame) -> Bool {
        topic == previous.topic && position.isNext(after: previous.position)
    }

    /// The complete one-topic events of `run` (consecutive frames of one topic) as a single chunk, written
    /// once to every session standing just before the run: one write per connection instead of one per event.
    static func merged(_ run: ArraySlice<LiveFrame>, allocator: ByteBufferAllocator) -> WireChunk {
        var payload = allocator.buffer(capacity: run.reduce(0) { $0 + $1.complete.payload.readableBytes })
        for frame in run { payload.writeImmutableBuffer(frame.complete.payload) }
        return WireChunk(payload: payload, allocator: allocator)
    }
}
