import Testing
@testable import HeraldHTTP

/// The connection budget derived from the open-file limit.
@Suite("Descriptor budget")
struct DescriptorBudgetTests {
    @Test("the reserve is the documented sum: process files, 3 per thread, 2 per Redis connection, publish listener, clients and files, refusals")
    func reserveParts() {
        // 32 + 3 × 2 + 2 × 3 + 64 + 32 + max(16, 1 % of 1024 = 10)
        #expect(DescriptorBudget.reserve(limit: 1024, threads: 2, redisConnections: 3) == 32 + 6 + 6 + 64 + 32 + 16)
        // 1 % of 20,000 is 200 descriptors for refusals in flight.
        #expect(DescriptorBudget.reserve(limit: 20_000, threads: 2, redisConnections: 3) == 32 + 6 + 6 + 64 + 32 + 200)
    }

    @Test("the auth hooks' pools are reserved: one descriptor per connection they may open")
    func hookPools() {
        let without = DescriptorBudget.reserve(limit: 1024, threads: 2, redisConnections: 3)
        #expect(DescriptorBudget.reserve(limit: 1024, threads: 2, redisConnections: 3, hookConnections: 64) == without + 64)
        let budget = DescriptorBudget(softLimitAtStart: 1024, limit: 1024, hardLimit: 1024, threads: 2, redisConnections: 3, hookConnections: 32)
        #expect(budget.connections == 1024 - without - 32)
    }

    @Test("the connections are the limit in force minus the reserve, at least one")
    func connections() {
        let budget = DescriptorBudget(softLimitAtStart: 1024, limit: 65_536, hardLimit: 65_536, threads: 4, redisConnections: 5)
        #expect(budget.connections == 65_536 - (32 + 12 + 10 + 64 + 32 + 655))
        let tiny = DescriptorBudget(softLimitAtStart: 64, limit: 64, hardLimit: 64, threads: 2, redisConnections: 0)
        #expect(tiny.connections == 1)
    }

    @Test("raising the limit leaves the soft limit at the hard limit")
    func raisesToHard() {
        let (budget, failure) = DescriptorBudget.raise(threads: 2, redisConnections: 0)
        #expect(failure == nil)
        #expect(budget.hardLimit == nil || budget.limit == budget.hardLimit)
        #expect(budget.limit >= budget.softLimitAtStart)
    }
}
