/// What a node says of one topic (`GET /topics/{topic}`): what it retains, and who subscribes across the nodes.
public struct TopicInfo: Sendable, Equatable, Decodable {
    /// The topic's name.
    public var topic: String
    /// Events the server retains for the topic now (replayable to a client that resumes).
    public var retained: Int
    /// The id of the oldest retained event (an SSE id: resuming from it replays what follows); nil when none is.
    public var firstID: String?
    /// The id of the newest retained event; nil when none is.
    public var lastID: String?
    /// The topic's epoch: it changes only when the topic's whole history was lost; nil for a topic never published to.
    public var epoch: String?
    /// Streams subscribed to the topic on every node that reports (this node's counted now, the others' as they
    /// last reported, every few seconds).
    public var subscribers: Int
    /// Streams subscribed to the topic on the node that answered.
    public var subscribersOnThisNode: Int
    /// Nodes whose subscriber report is live, the answering node included (1 for the memory backend).
    public var nodesReporting: Int

    public init(
        topic: String, retained: Int, firstID: String?, lastID: String?, epoch: String?,
        subscribers: Int, subscribersOnThisNode: Int, nodesReporting: Int
    ) {
        self.topic = topic
        self.retained = retained
        self.firstID = firstID
        self.lastID = lastID
        self.epoch = epoch
        self.subscribers = subscribers
        self.subscribersOnThisNode = subscribersOnThisNode
        self.nodesReporting = nodesReporting
    }

    enum CodingKeys: String, CodingKey {
        case topic, retained, epoch, subscribers, subscribersOnThisNode, nodesReporting
        case firstID = "firstId"
        case lastID = "lastId"
    }
}
