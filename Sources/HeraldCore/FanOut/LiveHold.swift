/// The live frames one event loop holds back while live delivery heals, and which holds cover which topics.
///
/// A hold covers every topic (the backend's whole live feed was lost: `FanOut.holdLive()`) or some topics
/// (one Redis Cluster shard's channels moved or lost their connection: `FanOut.holdLive(_:)`), and carries
/// the generation of the `holdLive` call that made it. A heal started at generation G ends the holds made
/// before it (generation ≤ G), never a newer one: that one's topics were interrupted again after the heal
/// began reading, and wait for their own heal.
///
/// Held frames keep their order within each topic. A frame held by the hold of every topic whose topic is
/// also held on its own moves to that topic's frames when the hold of every topic ends, so that it is never
/// written before its topic's backfill. Confined to its loop, like `LoopRegistry`.
struct LiveHold {
    /// What ending holds gives the loop to do.
    struct Release {
        /// Backfill of the released topics, then their held frames, in order.
        var frames: [LiveFrame] = []
        /// The hold of every topic overflowed: every session closes (its client resumes exactly).
        var closesEverySession = false
        /// Released topics that were not healed (their history could not be read) or whose held frames
        /// overflowed: their sessions close.
        var closingTopics: Set<Topic> = []
    }

    /// Most frames held at once; past it every held frame is dropped and the holds' streams close at their
    /// release (they resume exactly).
    /// why: a heal normally takes one Redis round trip per topic; if it takes so long that 100,000 frames
    /// pile up, closing the streams beats holding unbounded memory.
    let frameLimit: Int

    init(frameLimit: Int = 100_000) {
        self.frameLimit = frameLimit
    }

    /// The generation of the hold of every topic, nil when there is none.
    private var everyTopicGeneration: UInt64?
    private var everyTopicFrames: [LiveFrame] = []
    private var everyTopicOverflowed = false
    /// Topics held on their own, with the generation of the newest hold that covers each.
    private var topicGenerations: [Topic: UInt64] = [:]
    private var topicFrames: [Topic: [LiveFrame]] = [:]
    private var overflowedTopics: Set<Topic> = []
    private var heldFrameCount = 0

    /// True when nothing is held: live frames are written as they arrive.
    var isEmpty: Bool { everyTopicGeneration == nil && topicGenerations.isEmpty }

    /// Starts (or renews) a hold: of every topic when `topics` is nil, else of each of `topics`.
    mutating func hold(generation: UInt64, topics: Set<Topic>?) {
        guard let topics else {
            everyTopicGeneration = generation
            return
        }
        for topic in topics {
            topicGenerations[topic] = generation
        }
    }

    /// Keeps the frames of held topics, in order, and returns the others, to be written now.
    mutating func admit(_ frames: [LiveFrame]) -> [LiveFrame] {
        if everyTopicGeneration != nil {
            keep(frames, inEveryTopicHold: true)
            return []
        }
        var passing: [LiveFrame] = []
        var held: [LiveFrame] = []
        for frame in frames {
            if topicGenerations[frame.topic] != nil { held.append(frame) } else { passing.append(frame) }
        }
        keep(held, inEveryTopicHold: false)
        return passing
    }

    /// Ends the holds that a heal started at `generation` covers: the hold of every topic when
    /// `includingEveryTopic`, and the holds of `healed` topics. Returns `backfill` for the released topics
    /// (and for every topic, when the hold of every topic ends) followed by their held frames; released
    /// topics among `unhealed` are to be closed. A hold newer than `generation` is left as it is.
    mutating func release(generation: UInt64, healed: Set<Topic>, includingEveryTopic: Bool, backfill: [LiveFrame], unhealed: Set<Topic>) -> Release {
        var release = Release()
        var released: Set<Topic> = []
        for topic in healed {
            guard let held = topicGenerations[topic], held <= generation else { continue }
            topicGenerations[topic] = nil
            released.insert(topic)
        }
        let endsEveryTopicHold = includingEveryTopic && (everyTopicGeneration.map { $0 <= generation } ?? false)
        // why: while every topic is held, a topic released on its own gets its backfill now; its live frames
        // stay in the hold of every topic, and stream deduplication drops what the backfill already gave.
        release.frames = backfill.filter { endsEveryTopicHold ? topicGenerations[$0.topic] == nil : released.contains($0.topic) }
        release.closingTopics = endsEveryTopicHold ? unhealed : unhealed.intersection(released)
        for topic in released {
            if overflowedTopics.remove(topic) != nil { release.closingTopics.insert(topic) }
            let frames = topicFrames.removeValue(forKey: topic) ?? []
            heldFrameCount -= frames.count
            release.frames += frames
        }
        if endsEveryTopicHold {
            everyTopicGeneration = nil
            release.closesEverySession = everyTopicOverflowed
            everyTopicOverflowed = false
            let frames = everyTopicFrames
            everyTopicFrames = []
            heldFrameCount -= frames.count
            release.frames += admit(frames)
        }
        // why: after a shard with many channels healed, its tables would otherwise keep their size for good.
        if topicGenerations.isEmpty, topicGenerations.capacity > 1024 {
            topicGenerations = [:]
            topicFrames = [:]
            overflowedTopics = []
        }
        return release
    }

    /// Slots reserved by the per-topic tables (for tests: they shrink once the holds are released).
    var topicTableCapacity: Int { topicGenerations.capacity + topicFrames.capacity + overflowedTopics.capacity }

    private mutating func keep(_ frames: [LiveFrame], inEveryTopicHold: Bool) {
        guard !frames.isEmpty else { return }
        guard heldFrameCount + frames.count <= frameLimit else { return overflow() }
        heldFrameCount += frames.count
        if inEveryTopicHold {
            if !everyTopicOverflowed { everyTopicFrames += frames } else { heldFrameCount -= frames.count }
            return
        }
        for frame in frames {
            if overflowedTopics.contains(frame.topic) {
                heldFrameCount -= 1
            } else {
                topicFrames[frame.topic, default: []].append(frame)
            }
        }
    }

    /// Drops every held frame; every hold now ends by closing its sessions.
    private mutating func overflow() {
        if everyTopicGeneration != nil { everyTopicOverflowed = true }
        overflowedTopics.formUnion(topicGenerations.keys)
        everyTopicFrames = []
        topicFrames = [:]
        heldFrameCount = 0
    }
}
