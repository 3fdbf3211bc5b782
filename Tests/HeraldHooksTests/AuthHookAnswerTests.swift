import Foundation
import Testing
@testable import HeraldHooks

@Suite("Reading the auth hook's answer")
struct AuthHookAnswerTests {
    private func read(_ status: Int, _ body: String, cacheControl: String? = nil) throws(AuthHookError) -> AuthHookAnswer {
        try AuthHookAnswer.read(status: status, cacheControl: cacheControl, body: Data(body.utf8), url: "http://app/auth")
    }

    @Test("200 allows: an empty body every topic, or the listed topics, expires_in and user")
    func allowed() throws {
        #expect(try read(200, "").verdict == .allowed(topics: nil, expiresIn: nil, user: nil))
        #expect(try read(200, "{}").verdict == .allowed(topics: nil, expiresIn: nil, user: nil))
        #expect(try read(200, #"{"topics":["a","b"],"expires_in":1.5,"user":"u-7","other":1}"#).verdict
            == .allowed(topics: ["a", "b"], expiresIn: .milliseconds(1500), user: "u-7"))
        #expect(try read(200, #"{"topics":null,"user":null}"#).verdict == .allowed(topics: nil, expiresIn: nil, user: nil))
    }

    @Test("401 and 403 refuse, with the hook's reason from message, error or error.message, cut and cleaned")
    func refused() throws {
        #expect(try read(401, "").verdict == .refused(unauthorized: true, reason: nil))
        #expect(try read(403, #"{"message":"banned"}"#).verdict == .refused(unauthorized: false, reason: "banned"))
        #expect(try read(403, #"{"error":"no session"}"#).verdict == .refused(unauthorized: false, reason: "no session"))
        #expect(try read(401, #"{"error":{"message":"expired"}}"#).verdict == .refused(unauthorized: true, reason: "expired"))
        #expect(try read(403, "{\"message\":\"a\\u0000b\\nc\"}").verdict == .refused(unauthorized: false, reason: "abc"))
        let long = try read(403, #"{"message":"\#(String(repeating: "x", count: 1000))"}"#)
        guard case .refused(_, let reason?) = long.verdict else { Issue.record("no reason"); return }
        #expect(reason.count == AuthHookAnswer.maxTextLength + 1)
    }

    @Test("anything else is no answer, and the error says what came", arguments: [
        (302, "", "redirect"), (500, "", "answered 500"), (204, "", "answered 204"),
        (200, "garbage", "not a JSON object"), (200, "[1]", "not a JSON object"), (200, #"{"topics":"a"}"#, "not a JSON object"),
        (200, #"{"expires_in":-1}"#, "positive number"), (200, #"{"expires_in":true}"#, "not a JSON object"),
        (200, #"{"user":""}"#, "\"user\""), (200, #"{"user":"\#(String(repeating: "u", count: 300))"}"#, "\"user\""),
    ])
    func noAnswer(status: Int, body: String, says: String) {
        #expect { try read(status, body) } throws: { error in
            (error as? AuthHookError)?.code == .unavailable && "\(error)".contains(says) && "\(error)".contains("http://app/auth")
        }
    }

    @Test("Cache-Control: no-store, no-cache and max-age=0 keep an answer out of the cache; max-age=N sets its time, a day at most")
    func caching() {
        #expect(AuthHookAnswer.caching(nil) == .configured)
        #expect(AuthHookAnswer.caching("public") == .configured)
        #expect(AuthHookAnswer.caching("no-store") == .never)
        #expect(AuthHookAnswer.caching("private, No-Cache") == .never)
        #expect(AuthHookAnswer.caching("max-age=0") == .never)
        #expect(AuthHookAnswer.caching("max-age=30, must-revalidate") == .maxAge(.seconds(30)))
        #expect(AuthHookAnswer.caching("max-age=99999999") == .maxAge(.seconds(86_400)))
        #expect(AuthHookAnswer.caching("max-age=soon") == .configured)
    }
}

@Suite("The auth hook's question")
struct AuthHookQuestionTests {
    @Test("the key is the same for the same credentials and topics in any order, and differs when either differs; the address is not in it")
    func keys() {
        let cookie = [(name: "Cookie", value: "session=abc")]
        let first = AuthHookQuestion(action: .subscribe, topics: ["b", "a", "a"], clientAddress: "10.0.0.1", headers: cookie)
        let same = AuthHookQuestion(action: .subscribe, topics: ["a", "b"], clientAddress: "10.0.0.2", headers: cookie)
        #expect(first.key == same.key)
        #expect(first.topics == ["a", "b"])
        #expect(first.key != AuthHookQuestion(action: .subscribe, topics: ["a"], clientAddress: nil, headers: cookie).key)
        #expect(first.key != AuthHookQuestion(action: .subscribe, topics: ["a", "b"], clientAddress: nil, headers: [(name: "cookie", value: "session=abd")]).key)
        #expect(first.key != AuthHookQuestion(action: .publish, topics: ["a", "b"], clientAddress: nil, headers: cookie).key)
        // why: length prefixes keep a header's value from running into the next part.
        let split = AuthHookQuestion(action: .subscribe, topics: ["ab"], clientAddress: nil, headers: [(name: "x", value: "")])
        let joined = AuthHookQuestion(action: .subscribe, topics: ["ab"], clientAddress: nil, headers: [(name: "x", value: ""), (name: "", value: "")])
        #expect(split.key != joined.key)
    }

    @Test("the body carries the action, the topics, resuming, the client's address and the forwarded headers")
    func body() throws {
        let question = AuthHookQuestion(
            action: .subscribe, topics: ["room/1"], resuming: true, clientAddress: "192.0.2.7",
            headers: [(name: "Cookie", value: "a=1"), (name: "cookie", value: "b=2"), (name: "origin", value: "https://app")]
        )
        let object = try #require(try JSONSerialization.jsonObject(with: question.body) as? [String: Any])
        #expect(object["action"] as? String == "subscribe")
        #expect(object["topics"] as? [String] == ["room/1"])
        #expect(object["resuming"] as? Bool == true)
        #expect(object["client_address"] as? String == "192.0.2.7")
        #expect(object["headers"] as? [String: String] == ["cookie": "a=1, b=2", "origin": "https://app"])
    }
}
