import NIOCore

extension LoopRegistry {
    /// Sessions of `topic` on this loop.
    func subscriberCount(of topic: Topic) -> Int {
        byTopic[topic]?.list.count ?? 0
    }

    /// Every topic with a session on this loop, with its number of sessions.
    func subscriberCounts() -> [(topic: Topic, subscribers: Int)] {
        byTopic.map { ($0.key, $0.value.list.count) }
    }

    /// Folds what each topic delivered since the last sample into its rate (see `DeliveryRate`).
    func sampleRates(now: NIODeadline) {
        for members in byTopic.values {
            members.rate.sample(delivered: members.delivered, now: now)
        }
    }

    /// Every topic with a session on this loop: its sessions and events/s, sampled now.
    func activity(now: NIODeadline) -> [TopicActivity] {
        sampleRates(now: now)
        return byTopic.map { TopicActivity(topic: $0.key, subscribers: $0.value.list.count, eventsPerSecond: $0.value.rate.perSecond) }
    }
}
