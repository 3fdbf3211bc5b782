import NIOCore

/// The replay of a catching-up session, paced by its connection.
///
/// The replay (the plan's events, then the live events buffered meanwhile) is written while the output
/// takes more bytes (`StreamOutput.isWritable`), flushed, and continued when the output becomes writable
/// again (`outputBecameWritable`). So a client that reads slowly gets the whole replay in order, and the bytes
/// queued for it stay near the connection's high-water mark instead of the replay's whole size.
/// Live events go on being buffered until everything before them is written; the ordinal rules of the
/// hand-off (duplicates dropped, a gap closes) apply to them as they are written.
///
/// A slow reader costs the node at most: the replay events already in memory (bounded by the maximum
/// replay), about the high-water mark of queued bytes, and `bufferedLiveLimit` bytes of buffered live events.
/// Its stream is closed once the buffered live events pass `bufferedLiveLimit`, or once it has taken no
/// bytes at all for `replayStallLimit` (a client that reads, however slowly, is not cut for it); its client
/// resumes exactly from the last event it received.
extension StreamSession {
    /// Tells a replaying session that its output takes bytes again; the replay continues.
    public func outputBecameWritable() {
        loop.preconditionInEventLoop()
        replayStallTimer?.cancel()
        replayStallTimer = nil
        pumpReplay()
    }

    /// Where the session stands in `topics[topicIndex]` once its replay is written; nil while catching up.
    /// Live streams are healed from here (see `FanOut.heal`), so replaying ones are too.
    func livePosition(ofTopic topicIndex: Int) -> TopicPosition? {
        switch phase {
        case .live: positions[topicIndex]
        case .replaying: replay?.end[topicIndex] ?? positions[topicIndex]
        case .catchingUp, .closed: nil
        }
    }

    func startReplay(_ plan: CatchUpPlan) {
        var end = plan.baseline
        for replayed in plan.events { end[replayed.topicIndex] = replayed.event.position }
        replay = (plan, 0, end)
        phase = .replaying
        pumpReplay()
    }

    /// Holds a live event until the replay is written; closes the stream when too much is held.
    func hold(_ frame: LiveFrame, topicIndex: Int) {
        guard !bufferOverflowed else { return }
        if buffered == nil { buffered = CircularBuffer(initialCapacity: 16) }
        buffered!.append((topicIndex, frame))
        bufferedBytes += frame.complete.payload.readableBytes
        guard bufferedBytes > bufferedLiveLimit else { return }
        bufferOverflowed = true
        buffered = nil
        bufferedBytes = 0
        guard phase == .replaying else {
            logger.info("closing a stream whose live events piled up while it read its history", metadata: [
                LogKeys.topic: "\(topics[topicIndex])", LogKeys.bufferedLiveLimit: "\(bufferedLiveLimit)",
            ].merging(output.logMetadata) { $1 })
            return failCatchUp(HeraldError(.backendUnavailable, "live events arrived faster than this stream could catch up; reconnect to resume"))
        }
        output.closeSlowReader()
    }

    /// Writes the replay while the output takes more, then flushes; stops when the output is full.
    /// why: re-entrant calls (a flush can report writability at once) return at once; the loop goes on.
    private func pumpReplay() {
        guard !isPumpingReplay, phase == .replaying else { return }
        isPumpingReplay = true
        defer { isPumpingReplay = false }
        while phase == .replaying {
            if output.isWritable {
                writeNextReplayItem()
                continue
            }
            flushIfNeeded()
            guard !output.isWritable else { continue }
            armReplayStallTimer()
            return
        }
    }

    /// Writes the next replayed event, else the next buffered live event, else goes live.
    private func writeNextReplayItem() {
        if let current = replay, current.next < current.plan.events.count {
            replay!.next += 1
            let replayed = current.plan.events[current.next]
            positions[replayed.topicIndex] = replayed.event.position
            let id = cursor.encoded
            registry?.counters.eventsReplayed &+= 1
            write(WireChunk { SSEEncoder.appendEvent(type: replayed.event.type, data: replayed.event.data, id: id, to: &$0) })
            hasSentID = true
            eventsWritten += 1
            return
        }
        replay = nil
        if let item = buffered?.popFirst() {
            bufferedBytes -= item.frame.complete.payload.readableBytes
            var memo = CursorChunkMemo()
            writeLive(item.frame, topicIndex: item.topicIndex, memo: &memo)
            return
        }
        buffered = nil
        goLive()
    }

    private func goLive() {
        phase = .live
        replayStallTimer?.cancel()
        replayStallTimer = nil
        output.catchUpWritten()
        if !hasSentID {
            // why: an id without data updates the browser's Last-Event-ID without dispatching an event, so a
            // connection that drops before its first event still resumes from here instead of from "now".
            write(WireChunk { SSEEncoder.appendIDAndEnd(cursor.encoded, to: &$0) })
            hasSentID = true
        }
        flushIfNeeded()
    }

    /// Cuts the stream unless its client took some of the queued bytes within `replayStallLimit`.
    private func armReplayStallTimer() {
        guard let limit = replayStallLimit, replayStallTimer == nil else { return }
        let queued = output.queuedByteCount
        replayStallTimer = loop.assumeIsolated().scheduleTask(in: limit) { [weak self] in
            guard let self, self.phase == .replaying else { return }
            self.replayStallTimer = nil
            guard self.output.queuedByteCount < queued else { return self.output.closeSlowReader() }
            self.armReplayStallTimer()
        }
    }
}
