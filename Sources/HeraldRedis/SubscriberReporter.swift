import HeraldCore
import Logging
import Redis
import ServiceLifecycle

/// Reports this node's per-topic subscriber counts to Redis every `SubscriberReportSettings.interval`, so that
/// `GET /topics/{topic}` on any node can add up every node's subscribers (`RedisBroker+SubscriberCount`).
///
/// Each node keeps one hash of topic → count (`NodeKeys.report(of:)`) that expires unless refreshed, and an
/// entry in a directory of nodes. One report is one call of `Script.report`: it refreshes the expiry and
/// applies only what changed since the last report (`SubscriberReport`), so its cost is flat in the number of
/// topics when nothing changes, and proportional to the changes otherwise. A killed node stops refreshing:
/// its hash expires and its subscribers leave every count within `expiry`. On graceful shutdown, the report
/// is withdrawn at once.
final class SubscriberReporter: Service, Sendable {
    /// This node's id in the directory: random per process start (16 hex digits).
    let nodeID: String
    private let keys: RedisBroker.NodeKeys
    private let settings: SubscriberReportSettings
    private let fanOut: FanOut
    private let store: RedisTopicStore
    private let client: any RedisCommandSender
    private let logger: Logger

    init(nodeID: String, keys: RedisBroker.NodeKeys, settings: SubscriberReportSettings, fanOut: FanOut, store: RedisTopicStore, client: any RedisCommandSender, logger: Logger) {
        self.nodeID = nodeID
        self.keys = keys
        self.settings = settings
        self.fanOut = fanOut
        self.store = store
        self.client = client
        self.logger = logger
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.reportPeriodically()
        }
        await withdraw()
    }

    /// Reports every interval until cancelled.
    private func reportPeriodically() async {
        var report = SubscriberReport()
        var failing = false
        while !Task.isCancelled {
            // why: the first report waits one interval too, for the command connections that start alongside;
            // a node that just started has no stream to report yet.
            do { try await Task.sleep(for: settings.interval) } catch { return }
            do {
                try await self.report(&report)
                if failing { logger.info("subscriber report restored", metadata: [LogKeys.node: "\(nodeID)"]) }
                failing = false
            } catch {
                report.lost()
                // why: Redis being away is logged by the connections already; one line per outage is enough here.
                if !failing { logger.warning("subscriber report failed; retrying every interval", metadata: [LogKeys.node: "\(nodeID)", "error": "\(error)"]) }
                failing = true
            }
        }
    }

    /// Sends one report: the changes since the last one, or the whole report when Redis no longer had it.
    func report(_ report: inout SubscriberReport) async throws {
        let counts = await fanOut.subscriberCounts()
        if try await send(report.changes(to: counts)) == false {
            report.lost()
            guard try await send(report.changes(to: counts)) else {
                throw HeraldError(.backendFailure, "Redis refused to replace the subscriber report")
            }
        }
        report.applied(counts)
    }

    /// Runs `Script.report` with `changes`; false when Redis had no report to update.
    private func send(_ changes: SubscriberReport.Changes) async throws -> Bool {
        var arguments: [RedisArgument] = [
            .string("2"), .string(keys.directory), .string(keys.report(of: nodeID)),
            .string(nodeID), .string(String(Int64(settings.expiry / .milliseconds(1)))),
            .string(changes.replace ? "replace" : "update"), .string(String(changes.removed.count)),
        ]
        arguments.reserveCapacity(arguments.count + changes.removed.count + 2 * changes.counts.count)
        for topic in changes.removed { arguments.append(.string(topic)) }
        for (topic, subscribers) in changes.counts {
            arguments.append(.string(topic))
            arguments.append(.string(String(subscribers)))
        }
        let replies = try await store.runScript(RedisBroker.Script.report, firstEvents: [0], slots: [store.slot(ofKey: keys.directory)]) { sha in
            [RedisCommand("EVALSHA", [.string(sha)] + arguments)]
        }
        guard let applied = replies.first?.int else { throw RedisBroker.unexpected(replies.first ?? .null, "subscriber report") }
        return applied == 1
    }

    /// Removes this node's report, so that its subscribers (all gone after the drain) leave the counts at once.
    private func withdraw() async {
        do {
            _ = try await client.send([
                RedisCommand("DEL", [.string(keys.report(of: nodeID))]),
                RedisCommand("ZREM", [.string(keys.directory), .string(nodeID)]),
            ], slot: store.slot(ofKey: keys.directory))
        } catch {
            logger.debug("could not withdraw the subscriber report; it expires by itself", metadata: [LogKeys.node: "\(nodeID)", "error": "\(error)"])
        }
    }
}
