import HeraldCore
import Testing

@testable import HeraldRedis

/// What a node sends of its subscriber counts each interval, driven without I/O.
@Suite("The subscriber report, driven without I/O")
struct SubscriberReportTests {
    func counts(_ pairs: [(String, Int)]) throws -> [Topic: Int] {
        Dictionary(uniqueKeysWithValues: try pairs.map { (try Topic($0.0), $0.1) })
    }

    @Test("the first report replaces the hash with every topic that has a subscriber")
    func firstReportReplaces() throws {
        let report = SubscriberReport()
        let changes = report.changes(to: try counts([("b", 2), ("a", 1), ("gone", 0)]))
        #expect(changes.replace)
        #expect(changes.removed.isEmpty)
        #expect(changes.counts.map(\.topic) == ["a", "b"] && changes.counts.map(\.subscribers) == [1, 2])
    }

    @Test("once applied, an unchanged node sends nothing but the refresh, however many topics it has")
    func unchangedSendsNothing() throws {
        var report = SubscriberReport()
        let many = try counts((0..<10_000).map { ("topic/\($0)", $0 % 7 + 1) })
        report.applied(many)
        let changes = report.changes(to: many)
        #expect(changes.isEmpty)
    }

    @Test("an update sends the changed counts and removes topics whose last subscriber left")
    func updateSendsChanges() throws {
        var report = SubscriberReport()
        report.applied(try counts([("a", 1), ("b", 2), ("c", 3)]))
        let changes = report.changes(to: try counts([("a", 1), ("b", 5), ("c", 0), ("d", 1)]))
        #expect(!changes.replace)
        #expect(changes.removed == ["c"])
        #expect(changes.counts.map(\.topic) == ["b", "d"] && changes.counts.map(\.subscribers) == [5, 1])
    }

    @Test("after a failed or lost report the next one replaces the hash in full")
    func lostReportReplaces() throws {
        var report = SubscriberReport()
        report.applied(try counts([("a", 1), ("b", 2)]))
        report.lost()
        let changes = report.changes(to: try counts([("b", 2)]))
        #expect(changes.replace)
        #expect(changes.removed.isEmpty, "a replacement starts from an empty hash: nothing to remove")
        #expect(changes.counts.map(\.topic) == ["b"])
    }

    @Test("a node with no subscriber at all still sends a refresh, so that it shows as reporting")
    func emptyNodeRefreshes() {
        var report = SubscriberReport()
        #expect(report.changes(to: [:]).replace)
        report.applied([:])
        #expect(report.changes(to: [:]).isEmpty)
    }
}
