import NIOCore

/// One topic with streams on this node: how many, and how many of its events the node delivers per second.
public struct TopicActivity: Sendable, Equatable {
    public var topic: Topic
    /// Streams of this node subscribed to the topic.
    public var subscribers: Int
    /// Events of the topic this node delivered per second, averaged over about the last 10 s (`DeliveryRate`).
    public var eventsPerSecond: Double

    public init(topic: Topic, subscribers: Int, eventsPerSecond: Double) {
        self.topic = topic
        self.subscribers = subscribers
        self.eventsPerSecond = eventsPerSecond
    }
}

extension FanOut {
    /// Streams of this node subscribed to `topic`, counted now (one hop to each event loop).
    public func subscriberCount(of topic: Topic) async -> Int {
        var total = 0
        for bound in mailboxes.map(\.registry) {
            total += (try? await bound.eventLoop.submit { bound.value.subscriberCount(of: topic) }.get()) ?? 0
        }
        return total
    }

    /// Every topic with a stream on this node and its number of streams (one hop to each event loop; the
    /// work is linear in the topics, which is what a report of them costs anyway).
    public func subscriberCounts() async -> [Topic: Int] {
        var counts: [Topic: Int] = [:]
        for bound in mailboxes.map(\.registry) {
            let loopCounts = (try? await bound.eventLoop.submit { bound.value.subscriberCounts() }.get()) ?? []
            counts.reserveCapacity(loopCounts.count)
            for (topic, subscribers) in loopCounts { counts[topic, default: 0] += subscribers }
        }
        return counts
    }

    /// Every topic with a stream on this node: streams summed over the event loops, events/s sampled now.
    public func topicActivity() async -> [TopicActivity] {
        var merged: [Topic: TopicActivity] = [:]
        for bound in mailboxes.map(\.registry) {
            let loopActivity = (try? await bound.eventLoop.submit { bound.value.activity(now: .now()) }.get()) ?? []
            for activity in loopActivity {
                guard var known = merged[activity.topic] else {
                    merged[activity.topic] = activity
                    continue
                }
                known.subscribers += activity.subscribers
                // why: every loop with a stream of the topic receives every one of its events, so the loops'
                // rates measure the same events: the topic's rate is theirs, not their sum.
                known.eventsPerSecond = max(known.eventsPerSecond, activity.eventsPerSecond)
                merged[activity.topic] = known
            }
        }
        return Array(merged.values)
    }
}
