extension RedisOutageWatch {
    /// Where an outage stands: a pure value that the watch drives and executes the answers of.
    ///
    /// One outage runs from the loss of the subscriber connection to the confirmation of every subscription
    /// again. Each outage has a generation, so that the grace timer of an outage that already ended (or of an
    /// earlier one) does nothing; the streams are closed at most once per outage.
    struct State: Sendable {
        /// What to do when an outage's grace period ends.
        enum GraceAction: Equatable, Sendable {
            /// Nothing: that outage is over (or was already acted on).
            case none
            /// Close every stream: the node has been cut off this long.
            case evacuate(lostFor: Duration)
        }

        /// When the current outage began, or nil while connected.
        private(set) var lostAt: ContinuousClock.Instant?
        private var generation = 0
        private var evacuated = false

        /// The connection was lost at `now`; returns the generation whose grace period to time, or nil when
        /// an outage is already running (its first loss counts).
        mutating func connectionLost(at now: ContinuousClock.Instant) -> Int? {
            guard lostAt == nil else { return nil }
            lostAt = now
            generation += 1
            evacuated = false
            return generation
        }

        /// The grace period of outage `generation` ended at `now`.
        mutating func graceEnded(generation: Int, at now: ContinuousClock.Instant) -> GraceAction {
            guard generation == self.generation, let lostAt, !evacuated else { return .none }
            evacuated = true
            return .evacuate(lostFor: now - lostAt)
        }

        /// Every subscription is confirmed again at `now`; returns how long the outage lasted and whether the
        /// streams were closed during it, or nil when there was no outage.
        mutating func restored(at now: ContinuousClock.Instant) -> (lasted: Duration, evacuated: Bool)? {
            guard let lostAt else { return nil }
            self.lostAt = nil
            return (now - lostAt, evacuated)
        }

        /// How long the current outage has lasted at `now`, or nil while connected.
        func outageDuration(at now: ContinuousClock.Instant) -> Duration? {
            lostAt.map { now - $0 }
        }
    }
}
