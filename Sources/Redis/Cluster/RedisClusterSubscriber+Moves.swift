import Logging

/// How channels follow their slots: a shard lost, a slot map that changed, a channel Redis dropped.
extension RedisClusterSubscriber {

    /// A shard's connection closed: its channels miss messages until it reconnects (which re-subscribes them
    /// there and reports them restored) or the map moves them elsewhere; the map is read again at once.
    /// When it was the last open one, the node is cut off from the cluster: `onCutOff`.
    func shardLost(_ node: RedisClusterTopology.Node) {
        // why: reported under the lock, so that a last unsubscribe (which reports the channel restored once it
        // sees it interrupted) can never report it before this interruption is.
        state.withLock { state in
            let channels = state.placement.filter { $0.value == node }.map(\.key)
            state.interrupted.formUnion(channels)
            if !channels.isEmpty { onInterrupted(channels.sorted()) }
        }
        if !reachesAnyMaster { onCutOff() }
        Task { await cluster.refreshTopology() }
    }

    /// The map changed: every shard's subscription node (its master, or a replica) gets its subscriber
    /// connection (so that a first subscribe finds it open), channels whose slot now has another such node
    /// move there, and subscribers of nodes no longer used stop.
    func topologyChanged(_ topology: RedisClusterTopology) {
        let (misplaced, stopped): ([String], [Shard]) = state.withLock { state in
            let nodes = Set(topology.shards.compactMap { $0.subscriptionNode(configuration.subscribeOn) })
            for node in nodes { _ = shardLocked(node, in: &state) }
            let misplaced = state.placement.filter { channel, node in
                topology.shard(forSlot: RedisHashSlot.of(channel))?.subscriptionNode(configuration.subscribeOn) != node
            }.map(\.key)
            let gone = state.shards.keys.filter { !nodes.contains($0) }
            return (misplaced, gone.compactMap { state.shards.removeValue(forKey: $0) })
        }
        if !misplaced.isEmpty { moved(misplaced.sorted(), .misplaced) }
        for shard in stopped { shard.stop.succeed() }
    }

    /// Why channels move.
    enum Move {
        /// Redis dropped them (`sunsubscribe`: their slot migrated); their shard subscriber no longer counts them,
        /// and the map is read again before they are placed.
        case droppedByRedis
        /// The slot map in use names another master for them; their old shard subscriber still counts them.
        case misplaced
    }

    /// Moves `channels`: each leaves the shard it was on and is subscribed on its slot's master, `onInterrupted`
    /// now, `onRestored` for each once it is subscribed again.
    func moved(_ movedChannels: [String], _ move: Move = .droppedByRedis) {
        let (channels, previous): ([String], [(String, Shard)]) = state.withLock { state in
            let previous = movedChannels.compactMap { channel in
                state.placement.removeValue(forKey: channel).flatMap { node in state.shards[node].map { (channel, $0) } }
            }
            // why: only channels still wanted are held and placed again; reported under the lock (see `shardLost`).
            let wanted = movedChannels.filter { state.counts[$0] != nil }
            state.interrupted.formUnion(wanted)
            if !wanted.isEmpty { onInterrupted(wanted) }
            return (wanted, previous)
        }
        if move == .misplaced {
            for (channel, shard) in previous { shard.subscriber.unsubscribe(from: channel) }
        }
        // why: the move belongs to the subscriber's lifetime, not a request; it ends once every channel is placed,
        // has no local subscriber left, or the subscriber stops.
        Task {
            if move == .droppedByRedis { await cluster.refreshTopology() }
            await withTaskGroup(of: String?.self) { group in
                for channel in channels {
                    group.addTask { await self.placeWithRetry(channel) ? channel : nil }
                }
                // why: each channel is reported as soon as it is placed, so that one shard still failing over does
                // not keep the others' topics held.
                for await placed in group {
                    if let placed { restored([placed]) }
                }
            }
        }
    }

    /// Places `channel`, retrying (backing off to once a second, reading the map again each time) while its
    /// slot has no reachable master; false once it has no local subscriber left or the subscriber stopped.
    /// why: never gives up while streams want the channel: a channel left unplaced would silently receive nothing.
    private func placeWithRetry(_ channel: String) async -> Bool {
        let started = ContinuousClock.now
        var warned = false
        var delay = Duration.milliseconds(50)
        while state.withLock({ !$0.isStopped && $0.counts[channel] != nil && $0.placement[channel] == nil }) {
            do {
                try await place(channel)
                return true
            } catch {
                if !warned, ContinuousClock.now - started > .seconds(30) {
                    warned = true
                    logger.warning("a redis cluster channel is still not subscribed on its new shard; retrying", metadata: [RedisMetadataKey.error: "\(error)"])
                }
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(1))
                await cluster.refreshTopology()
            }
        }
        return false
    }
}
