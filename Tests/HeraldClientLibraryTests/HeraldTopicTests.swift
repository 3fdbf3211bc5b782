import HeraldClient
import TestSupport
import Testing

/// `Herald.topic(_:)` against a live node: the answer decoded, names that need encoding, and typed errors.
@Suite("Topic info through the client library", .timeLimit(.minutes(1)))
struct HeraldTopicTests {
    @Test("a topic's info is decoded, whatever characters its name holds")
    func decodedInfo() async throws {
        try await TestNode.with(.memory) { node in
            let herald = Herald(server: "http://127.0.0.1:\(node.port)")
            for name in ["orders/42", "a b+c?d#e%f", "zürich/€", "..", "."] {
                let first = try await herald.publish(Publication(topic: name, text: "1"))
                let last = try await herald.publish(Publication(topic: name, text: "2"))
                let info = try await herald.topic(name)
                #expect(info.topic == name && info.retained == 2 && info.firstID == first && info.lastID == last, "\(name): \(info)")
                #expect(info.subscribers == 0 && info.subscribersOnThisNode == 0 && info.nodesReporting == 1)
            }
            let never = try await herald.topic("never/published")
            #expect(never == TopicInfo(
                topic: "never/published", retained: 0, firstID: nil, lastID: nil, epoch: nil,
                subscribers: 0, subscribersOnThisNode: 0, nodesReporting: 1
            ))
        }
    }

    @Test("a bad topic is rejected with the server's code, an absent server is connectionFailed")
    func typedErrors() async throws {
        try await TestNode.with(.memory) { node in
            let herald = Herald(server: "http://127.0.0.1:\(node.port)")
            let error = await #expect(throws: HeraldClientError.self) { try await herald.topic("bad\u{7}topic") }
            #expect(error?.code == .rejected && error?.status == 400 && error?.serverCode == "invalid_topic", "\(String(describing: error))")
        }
        let unused = try await LoopbackPort.free()
        let error = await #expect(throws: HeraldClientError.self) { try await Herald(server: "http://127.0.0.1:\(unused)").topic("t") }
        #expect(error?.code == .connectionFailed, "\(String(describing: error))")
    }
}
