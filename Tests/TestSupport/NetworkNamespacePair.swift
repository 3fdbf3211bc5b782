import Foundation

/// Two network namespaces joined by a veth pair, for a test that cuts a link without closing anything (a
/// phone losing its network): a server side and a client side, each with one address.
///
/// Both addresses are loopback addresses (127.77.0.1 and 127.77.0.2 in a /30), so that nothing a test
/// starts can reach beyond the machine. Linux drops 127/8 on a non-loopback device unless `route_localnet`
/// is set, so it is set inside the two namespaces (their own sysctls; the host's are untouched), and the
/// 127/8 local route of the server side's `lo` is removed so that it does not swallow the client's address.
/// Nothing in the host's network namespace changes. Needs root (or CAP_NET_ADMIN and CAP_SYS_ADMIN) and `ip`.
package final class NetworkNamespacePair: Sendable {
    package struct Failure: Error, CustomStringConvertible {
        package var description: String
    }

    package static let ipExecutable = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) }
    package static let serverAddress = "127.77.0.1"
    package static let clientAddress = "127.77.0.2"

    package let server: String
    package let client: String
    private let clientDevice: String

    /// Whether namespaces can be made here: `ip` exists and creating (and deleting) a namespace works.
    package static let isPermitted: Bool = {
        guard ipExecutable != nil, getuid() == 0 else { return false }
        let probe = "herald-probe-\(getpid())"
        guard (try? ip(["netns", "add", probe])) != nil else { return false }
        _ = try? ip(["netns", "del", probe])
        return true
    }()

    /// Creates the namespaces and the link, up.
    package static func create() throws -> NetworkNamespacePair {
        let tag = "\(getpid() % 100_000)\(Int.random(in: 10...99))"
        let pair = NetworkNamespacePair(server: "herald-s\(tag)", client: "herald-c\(tag)", clientDevice: "hvc\(tag)")
        let serverDevice = "hvs\(tag)"
        do {
            try ip(["netns", "add", pair.server])
            try ip(["netns", "add", pair.client])
            try ip(["link", "add", serverDevice, "type", "veth", "peer", "name", pair.clientDevice])
            try ip(["link", "set", serverDevice, "netns", pair.server])
            try ip(["link", "set", pair.clientDevice, "netns", pair.client])
            for (namespace, device, address) in [(pair.server, serverDevice, serverAddress), (pair.client, pair.clientDevice, clientAddress)] {
                for scope in ["all", "default", device] {
                    try ip(["netns", "exec", namespace, "sysctl", "-qw", "net.ipv4.conf.\(scope).route_localnet=1"])
                }
                try ip(["-n", namespace, "addr", "add", "\(address)/30", "dev", device])
                try ip(["-n", namespace, "link", "set", device, "up"])
            }
            // why: the server side talks to itself too (a test reads its /stats from inside); that needs `lo`
            // up, whose 127.0.0.0/8 local route would swallow the client's address, so only that route goes.
            try ip(["-n", pair.server, "link", "set", "lo", "up"])
            try ip(["-n", pair.server, "route", "del", "local", "127.0.0.0/8", "dev", "lo", "table", "local"])
        } catch {
            pair.remove()
            throw error
        }
        return pair
    }

    private init(server: String, client: String, clientDevice: String) {
        self.server = server
        self.client = client
        self.clientDevice = clientDevice
    }

    /// The command line that runs `arguments` inside `namespace` (for ``ChildProcess``).
    package func command(in namespace: String, _ arguments: [String]) -> (path: String, arguments: [String]) {
        (Self.ipExecutable ?? "ip", ["ip", "netns", "exec", namespace] + arguments)
    }

    /// Sets the client's end of the link down: from then on nothing crosses it, and neither side is told.
    package func cutClientLink() throws {
        try Self.ip(["-n", client, "link", "set", clientDevice, "down"])
    }

    /// Deletes both namespaces (and with them the link). Harmless if already gone.
    package func remove() {
        _ = try? Self.ip(["netns", "del", client])
        _ = try? Self.ip(["netns", "del", server])
    }

    /// Runs `arguments` inside `namespace` and returns its output; throws unless it exits 0 within `timeout`.
    package func run(in namespace: String, _ arguments: [String], timeout: TimeInterval = 10) throws -> String {
        try Self.ip(["netns", "exec", namespace] + arguments, timeout: timeout)
    }

    @discardableResult
    static func ip(_ arguments: [String], timeout: TimeInterval = 10) throws -> String {
        guard let executable = ipExecutable else { throw Failure(description: "ip (iproute2) is not installed") }
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("herald-ip-\(UUID().uuidString).out").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        let pid = try ChildProcess.spawn(executable, ["ip"] + arguments, logPath: log)
        let state = ChildProcess.waitForExit(pid, timeout: timeout)
        if state == nil { ChildProcess.terminate(pid) }
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        guard state == .exited(0) else {
            throw Failure(description: "ip \(arguments.joined(separator: " ")) failed (\(String(describing: state))): \(output)")
        }
        return output
    }
}
