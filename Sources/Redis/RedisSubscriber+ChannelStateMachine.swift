extension RedisSubscriber {
    /// The pure protocol logic of a sharded channel shared by many local subscribers.
    ///
    /// `SSUBSCRIBE` goes out for the first local subscriber, `SUNSUBSCRIBE` after the
    /// last; one command per channel at a time is in flight. The machine does no I/O
    /// and knows no promises: it takes events and returns the actions its owner must
    /// execute, outside its lock. Guarantees:
    /// - a waiter (a pending `subscribe(to:)`) is resolved exactly once: succeeded when
    ///   Redis confirms the channel, or failed (refused, timed out, shut down);
    /// - a local subscriber counts only once its waiter succeeded;
    /// - a subscribe that arrives while `SUNSUBSCRIBE` is in flight re-subscribes after
    ///   the confirmation; the last unsubscribe during `SSUBSCRIBE` unsubscribes after it;
    /// - waiters survive a connection loss and are served by the reconnect, which
    ///   re-subscribes every channel still wanted and then, once every re-subscription
    ///   is settled, reports those that had subscribers (`notifyResubscribed`, possibly
    ///   empty: every reconnect is reported once), since messages may have been missed;
    /// - a server-initiated `sunsubscribe` (slot migration) re-subscribes and reports.
    struct ChannelStateMachine {
        typealias WaiterID = Int

        enum Failure: Equatable, Sendable {
            /// No connection to Redis.
            case connectionUnavailable
            /// Redis did not confirm within the command timeout.
            case timeout
            /// Redis answered with an error (`MOVED`, `CROSSSLOT`, `NOPERM`...).
            case refused(String)
            /// The subscriber is shutting down.
            case shutdown
        }

        enum Action: Equatable, Sendable {
            case sendSubscribe(String)
            case sendUnsubscribe(String)
            case succeedWaiters([WaiterID])
            case failWaiters([WaiterID], Failure)
            case notifyResubscribed([String])
            /// Redis dropped the channel and the owner places it elsewhere (`dropByServer`).
            case notifyDropped(String)
        }

        /// What Redis knows about a channel on the current connection.
        enum RemoteState: Equatable, Sendable {
            case unsubscribed, subscribing, subscribed, unsubscribing
        }

        private struct Channel {
            var confirmed = 0
            var waiters: [WaiterID] = []
            var remote = RemoteState.unsubscribed
            /// Report the channel once the pending `SSUBSCRIBE` is confirmed.
            var notifyWhenConfirmed = false

            var wanted: Bool { self.confirmed + self.waiters.count > 0 }
        }

        private enum Connection {
            case disconnected, connected, shutdown
        }

        private var channels: [String: Channel] = [:]
        private var connection = Connection.disconnected
        /// False until the first connection: only reconnects are reported.
        private var hasConnected = false
        /// Channels re-subscribed after a reconnect whose confirmation is still awaited.
        private var resubscribing: Set<String> = []
        private var resubscribed: [String] = []

        init() {}

        // MARK: Local subscribers

        mutating func subscribe(_ name: String, waiter: WaiterID) -> [Action] {
            guard case .connected = self.connection else {
                let failure: Failure = self.connection == .shutdown ? .shutdown : .connectionUnavailable
                return [.failWaiters([waiter], failure)]
            }
            var channel = self.channels[name] ?? Channel()
            defer { self.channels[name] = channel }
            switch channel.remote {
            case .subscribed:
                channel.confirmed += 1
                return [.succeedWaiters([waiter])]
            case .subscribing, .unsubscribing:
                channel.waiters.append(waiter)
                return []
            case .unsubscribed:
                channel.waiters.append(waiter)
                channel.remote = .subscribing
                return [.sendSubscribe(name)]
            }
        }

        /// One local subscriber left. Unbalanced calls are ignored and return no action.
        mutating func unsubscribe(_ name: String) -> [Action] {
            guard var channel = self.channels[name], channel.confirmed > 0 else {
                return []
            }
            channel.confirmed -= 1
            return self.settle(name, channel)
        }

        mutating func waiterTimedOut(_ name: String, waiter: WaiterID) -> [Action] {
            guard var channel = self.channels[name], let index = channel.waiters.firstIndex(of: waiter) else {
                return []
            }
            channel.waiters.remove(at: index)
            return [.failWaiters([waiter], .timeout)] + self.settle(name, channel)
        }

        // MARK: Redis events

        mutating func subscribeConfirmed(_ name: String) -> [Action] {
            guard var channel = self.channels[name], channel.remote == .subscribing else {
                return []
            }
            channel.remote = .subscribed
            var actions: [Action] = []
            if !channel.waiters.isEmpty {
                actions.append(.succeedWaiters(channel.waiters))
                channel.confirmed += channel.waiters.count
                channel.waiters = []
            }
            if channel.notifyWhenConfirmed {
                channel.notifyWhenConfirmed = false
                actions.append(.notifyResubscribed([name]))
            }
            actions += self.finishResubscribing(name, confirmed: true)
            return actions + self.settle(name, channel)
        }

        mutating func subscribeRefused(_ name: String, message: String) -> [Action] {
            guard var channel = self.channels[name], channel.remote == .subscribing else {
                return []
            }
            channel.remote = .unsubscribed
            channel.notifyWhenConfirmed = false
            var actions: [Action] = []
            if !channel.waiters.isEmpty {
                actions.append(.failWaiters(channel.waiters, .refused(message)))
                channel.waiters = []
            }
            // Subscribers that were confirmed before keep their count: the next reconnect retries.
            self.channels[name] = channel.wanted ? channel : nil
            self.channels.shrinkIfMostlyEmpty()
            return actions + self.finishResubscribing(name, confirmed: false)
        }

        /// The reply to our `SUNSUBSCRIBE` (a confirmation or an error: either way Redis is done).
        mutating func unsubscribeConfirmed(_ name: String) -> [Action] {
            guard var channel = self.channels[name], channel.remote == .unsubscribing else {
                return []
            }
            channel.remote = .unsubscribed
            return self.settle(name, channel)
        }

        /// Redis dropped the subscription on its own (slot migration in a cluster).
        mutating func serverUnsubscribed(_ name: String) -> [Action] {
            guard case .connected = self.connection, var channel = self.channels[name],
                channel.remote == .subscribed
            else {
                return []
            }
            channel.remote = .unsubscribed
            channel.notifyWhenConfirmed = channel.confirmed > 0
            return self.settle(name, channel)
        }

        /// Redis dropped the subscription on its own and the owner subscribes elsewhere (a cluster slot moved
        /// to another shard): the channel and its subscribers are forgotten here, and the owner is told.
        mutating func dropByServer(_ name: String) -> [Action] {
            guard case .connected = self.connection, let channel = self.channels[name], channel.remote == .subscribed else {
                return []
            }
            var actions: [Action] = [.notifyDropped(name)]
            if !channel.waiters.isEmpty { actions.insert(.failWaiters(channel.waiters, .refused("the channel moved to another shard")), at: 0) }
            self.channels[name] = nil
            self.channels.shrinkIfMostlyEmpty()
            return actions
        }

        // MARK: Connection events

        /// A connection is ready: re-subscribe every wanted channel.
        mutating func connected() -> [Action] {
            guard self.connection != .shutdown else {
                return []
            }
            self.connection = .connected
            let isReconnect = self.hasConnected
            self.hasConnected = true
            self.resubscribing = []
            self.resubscribed = []
            var actions: [Action] = []
            for name in self.channels.keys.sorted() {
                guard var channel = self.channels[name], channel.wanted else {
                    self.channels[name] = nil
                    continue
                }
                channel.remote = .subscribing
                channel.notifyWhenConfirmed = false
                if channel.confirmed > 0 {
                    self.resubscribing.insert(name)
                }
                self.channels[name] = channel
                actions.append(.sendSubscribe(name))
            }
            self.channels.shrinkIfMostlyEmpty()
            if isReconnect && self.resubscribing.isEmpty {
                actions.append(.notifyResubscribed([]))
            }
            return actions
        }

        /// The connection is gone: Redis forgot every subscription; waiters keep waiting.
        mutating func connectionLost() -> [Action] {
            if self.connection == .connected {
                self.connection = .disconnected
            }
            self.resubscribing = []
            self.resubscribed = []
            for (name, var channel) in self.channels {
                channel.remote = .unsubscribed
                channel.notifyWhenConfirmed = false
                self.channels[name] = channel.wanted ? channel : nil
            }
            self.channels.shrinkIfMostlyEmpty()
            return []
        }

        /// Stops for good: every waiter fails, later subscribes fail at once.
        mutating func shutdown() -> [Action] {
            self.connection = .shutdown
            let waiters = self.channels.values.flatMap(\.waiters)
            self.channels = [:]
            self.resubscribing = []
            self.resubscribed = []
            return waiters.isEmpty ? [] : [.failWaiters(waiters.sorted(), .shutdown)]
        }

        // MARK: Queries

        /// Channels tracked: wanted, or with a command in flight. Zero once every subscriber left and Redis
        /// confirmed the last `SUNSUBSCRIBE`.
        var channelCount: Int { self.channels.count }

        /// Channels re-subscribed after a reconnect whose confirmation is still awaited.
        var resubscribingCount: Int { self.resubscribing.count }

        /// The number of confirmed local subscribers of `name`.
        func subscriberCount(_ name: String) -> Int {
            self.channels[name]?.confirmed ?? 0
        }

        func remoteState(_ name: String) -> RemoteState {
            self.channels[name]?.remote ?? .unsubscribed
        }

        // MARK: Private

        /// Stores `channel` and starts whatever command brings Redis in line with it.
        private mutating func settle(_ name: String, _ channel: Channel) -> [Action] {
            var channel = channel
            var actions: [Action] = []
            let isConnected = self.connection == .connected
            switch (channel.remote, channel.wanted) {
            case (.subscribed, false) where isConnected:
                channel.remote = .unsubscribing
                actions.append(.sendUnsubscribe(name))
            case (.unsubscribed, true) where isConnected:
                channel.remote = .subscribing
                actions.append(.sendSubscribe(name))
            case (.unsubscribed, false):
                self.channels[name] = nil
                self.channels.shrinkIfMostlyEmpty()
                return []
            default:
                // In flight: the confirmation settles it. Disconnected: the reconnect does.
                break
            }
            self.channels[name] = channel
            return actions
        }

        private mutating func finishResubscribing(_ name: String, confirmed: Bool) -> [Action] {
            guard self.resubscribing.remove(name) != nil else {
                return []
            }
            if confirmed {
                self.resubscribed.append(name)
            }
            guard self.resubscribing.isEmpty else {
                return []
            }
            let names = self.resubscribed
            self.resubscribed = []
            return [.notifyResubscribed(names)]
        }
    }
}
