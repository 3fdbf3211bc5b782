import ArgumentParser
import Foundation
import HeraldClient

/// `herald topic`: what a node says of one topic (`GET /topics/{topic}`), as lines for people.
struct TopicCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topic",
        abstract: "Show a topic: retained events, first and last id, epoch, and subscribers across the nodes.",
        discussion: """
            herald topic orders/42
            herald topic orders/42 --server http://10.0.0.5:8081 --token "$PUBLISHER_TOKEN"
            Ask the node's internal address (--publish-port when it has one). With publisher auth on, the token
            must be one that may publish to the topic.
            """
    )

    @OptionGroup var client: ClientOptions

    @Argument(help: "The topic.")
    var topic: String

    func run() async throws {
        let herald = try client.client()
        guard !topic.isEmpty else { throw CommandFailure("the topic is empty; give one, such as orders/42") }
        do {
            print(Self.lines(try await herald.topic(topic)))
        } catch {
            throw CommandFailure(error.message)
        }
    }

    /// The answer as aligned lines.
    static func lines(_ info: TopicInfo) -> String {
        let nodes = info.nodesReporting == 1 ? "1 node reporting" : "\(info.nodesReporting) nodes reporting"
        let rows = [
            ("topic", info.topic),
            ("retained", info.retained == 1 ? "1 event" : "\(info.retained) events"),
            ("first id", info.firstID ?? "none"),
            ("last id", info.lastID ?? "none"),
            ("epoch", info.epoch ?? "none"),
            ("subscribers", "\(info.subscribers) (\(info.subscribersOnThisNode) on this node, \(nodes))"),
        ]
        return rows.map { $0.0.padding(toLength: 13, withPad: " ", startingAt: 0) + $0.1 }.joined(separator: "\n")
    }
}
