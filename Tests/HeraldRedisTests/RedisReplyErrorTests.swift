import HeraldCore
import Redis
import Testing
@testable import HeraldRedis

/// How Redis error replies become Herald errors (and so HTTP statuses).
@Suite("Redis error replies")
struct RedisReplyErrorTests {
    @Test("a cluster that is down, a slot moving, a loading or master-less replica are temporary (503); other refusals are failures (502)")
    func temporaryOrNot() {
        for temporary in ["CLUSTERDOWN The cluster is down", "TRYAGAIN Multiple keys request during rehashing of slot", "MOVED 3999 127.0.0.1:7001", "ASK 1 127.0.0.1:7002", "MASTERDOWN Link with MASTER is down", "LOADING Redis is loading the dataset in memory", "READONLY You can't write against a read only replica."] {
            #expect(RedisBroker.unexpected(.error(temporary), "publish").code == .backendUnavailable, "\(temporary)")
        }
        for failure in ["ERR Error running script", "NOPERM this user has no permissions", "WRONGTYPE Operation against a key holding the wrong kind of value"] {
            #expect(RedisBroker.unexpected(.error(failure), "publish").code == .backendFailure, "\(failure)")
        }
        #expect(RedisBroker.unexpected(.integer(1), "publish").code == .backendFailure)
    }
}
