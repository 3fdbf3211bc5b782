@testable import HeraldHTTP
import NIOHTTP1
import Testing

@Suite("Trusted proxies: networks, and the client named by their headers")
struct TrustedProxiesTests {
    func address(_ text: String) -> IPAddress { IPAddress(text)! }

    @Test("CIDR networks and single addresses of both families; IPv4-mapped IPv6 addresses are the IPv4 address")
    func networks() throws {
        let ten = try #require(IPNetwork("10.0.0.0/8"))
        #expect(ten.contains(address("10.255.1.2")) && !ten.contains(address("11.0.0.1")))
        let odd = try #require(IPNetwork("192.168.1.128/25"))
        #expect(odd.contains(address("192.168.1.200")) && !odd.contains(address("192.168.1.127")))
        let one = try #require(IPNetwork("127.0.0.1"))
        #expect(one.contains(address("127.0.0.1")) && !one.contains(address("127.0.0.2")))
        #expect(one.contains(address("::ffff:127.0.0.1")), "a dual-stack listener's view of an IPv4 peer")
        let unique = try #require(IPNetwork("fd00::/8"))
        #expect(unique.contains(address("fd12:3456::1")) && !unique.contains(address("fe80::1")))
        #expect(!unique.contains(address("10.0.0.1")) && !ten.contains(address("::1")))
        #expect(IPNetwork("0.0.0.0/0")?.contains(address("203.0.113.7")) == true)
        #expect(IPNetwork("::/0")?.contains(address("2001:db8::1")) == true)
        #expect(address("::ffff:192.0.2.1").description == "192.0.2.1")
        #expect(address("[2001:db8::1]").description == "2001:db8::1")
    }

    @Test("what is not a network is refused", arguments: ["", "10.0.0.0/33", "::/129", "10.0.0.0/", "/8", "10.0.0/8", "10.0.0.0/-1", "10.0.0.0/+8", "example.com", "10.0.0.0/8/8"])
    func notNetworks(text: String) {
        #expect(IPNetwork(text) == nil)
    }

    func client(_ proxies: TrustedProxies, peer: String, _ headers: [(String, String)]) -> String {
        proxies.clientAddress(peer: address(peer), headers: HTTPHeaders(headers)).description
    }

    @Test("X-Forwarded-For is walked from the right past trusted entries, over several header lines")
    func walk() {
        let proxies = TrustedProxies(networks: [IPNetwork("10.0.0.0/8")!])
        #expect(client(proxies, peer: "10.0.0.1", [("x-forwarded-for", "203.0.113.7")]) == "203.0.113.7")
        #expect(client(proxies, peer: "10.0.0.1", [("x-forwarded-for", "198.51.100.1, 203.0.113.7, 10.9.9.9")]) == "203.0.113.7",
                "the entry left of the trusted hop is the client; what the client wrote further left is ignored")
        #expect(client(proxies, peer: "10.0.0.1", [("x-forwarded-for", "203.0.113.7"), ("X-Forwarded-For", "10.1.1.1")]) == "203.0.113.7")
        #expect(client(proxies, peer: "10.0.0.1", [("x-forwarded-for", "10.3.3.3, 10.1.1.1")]) == "10.3.3.3", "all trusted: the leftmost")
        #expect(client(proxies, peer: "10.0.0.1", []) == "10.0.0.1", "no header: the proxy itself")
        #expect(client(proxies, peer: "10.0.0.1", [("x-forwarded-for", "203.0.113.7, unknown, 10.1.1.1")]) == "10.1.1.1",
                "an entry that is not an address stops the walk at the proxy that wrote it")
        #expect(client(proxies, peer: "10.0.0.1", [("x-forwarded-for", "203.0.113.7:5555")]) == "203.0.113.7", "a port is dropped")
        #expect(client(proxies, peer: "10.0.0.1", [("x-forwarded-for", "2001:db8::7")]) == "2001:db8::7")
        #expect(client(proxies, peer: "192.0.2.1", [("x-forwarded-for", "203.0.113.7")]) == "192.0.2.1", "an untrusted peer is the client")
    }

    @Test("Forwarded (RFC 7239): for= of each element, quoted, bracketed, with ports; other parameters and elements without for= are skipped")
    func forwarded() {
        let proxies = TrustedProxies(networks: [IPNetwork("10.0.0.0/8")!], header: .forwarded)
        #expect(client(proxies, peer: "10.0.0.1", [("forwarded", #"for=192.0.2.60;proto=http;by=203.0.113.43"#)]) == "192.0.2.60")
        #expect(client(proxies, peer: "10.0.0.1", [("forwarded", #"for="[2001:db8:cafe::17]:4711""#)]) == "2001:db8:cafe::17")
        #expect(client(proxies, peer: "10.0.0.1", [("forwarded", #"for=198.51.100.1, For="192.0.2.43:47011", proto=https, for=10.2.2.2"#)]) == "192.0.2.43")
        #expect(client(proxies, peer: "10.0.0.1", [("forwarded", "for=_hidden"), ("x-forwarded-for", "192.0.2.1")]) == "10.0.0.1",
                "an obfuscated identifier stops the walk; X-Forwarded-For is not read in this mode")
    }
}
