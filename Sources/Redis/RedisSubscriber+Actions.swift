import Logging
import NIOCore

extension RedisSubscriber {
    /// What one transition of the state machine asks for, captured under the lock.
    private struct Effects {
        var actions: [ChannelStateMachine.Action]
        var connection: RedisConnection?
        var generation: Int
        /// The waiters resolved by `actions`, already removed from the state.
        var waiters: [Int: Waiter]
    }

    /// Runs one transition under the lock, then executes its actions outside it.
    func drive(_ transition: (inout State) -> [ChannelStateMachine.Action]) {
        let effects = self.state.withLock { state -> Effects in
            let actions = transition(&state)
            var waiters: [Int: Waiter] = [:]
            for action in actions {
                switch action {
                case .succeedWaiters(let ids), .failWaiters(let ids, _):
                    for id in ids {
                        waiters[id] = state.waiters.removeValue(forKey: id)
                    }
                    state.waiters.shrinkIfMostlyEmpty()
                case .sendSubscribe, .sendUnsubscribe, .notifyResubscribed, .notifyDropped:
                    break
                }
            }
            return Effects(
                actions: actions,
                connection: state.connection,
                generation: state.generation,
                waiters: waiters
            )
        }
        self.perform(effects)
    }

    private func perform(_ effects: Effects) {
        let kind = self.kind
        var commands: [RedisCommand] = []
        for action in effects.actions {
            switch action {
            case .sendSubscribe(let channel):
                commands.append(RedisCommand(kind.subscribeCommand, channel))
            case .sendUnsubscribe(let channel):
                commands.append(RedisCommand(kind.unsubscribeCommand, channel))
            case .succeedWaiters(let ids):
                for id in ids {
                    effects.waiters[id]?.timeout?.cancel()
                    effects.waiters[id]?.promise.succeed()
                }
            case .failWaiters(let ids, let failure):
                let error = self.error(for: failure)
                for id in ids {
                    effects.waiters[id]?.timeout?.cancel()
                    effects.waiters[id]?.promise.fail(error)
                }
            case .notifyResubscribed(let channels):
                self.logger.info(
                    "redis subscriber re-subscribed",
                    metadata: [RedisMetadataKey.channelCount: "\(channels.count)"]
                )
                self.onResubscribed(channels)
            case .notifyDropped(let channel):
                self.onServerUnsubscribed?(channel)
            }
        }
        guard !commands.isEmpty, let connection = effects.connection else {
            return
        }
        let generation = effects.generation
        let futures = connection.sendFutures(commands)
        for (command, future) in zip(commands, futures) {
            guard case .string(let channel) = command.arguments[0] else {
                continue
            }
            let isSubscribe = command.name == kind.subscribeCommand
            future.whenComplete { [weak self] result in
                self?.drive { state in
                    // why: a transport failure means the connection is gone; the reconnect
                    // re-subscribes, so only replies from the current connection count.
                    guard state.generation == generation, case .success(let reply) = result else {
                        return []
                    }
                    guard isSubscribe else {
                        return state.machine.unsubscribeConfirmed(channel)
                    }
                    return Self.isSubscribeConfirmation(reply, channel: channel, kind: kind)
                        ? state.machine.subscribeConfirmed(channel)
                        : state.machine.subscribeRefused(channel, message: Self.refusal(reply, kind: kind))
                }
            }
        }
    }

    private static func isSubscribeConfirmation(_ reply: RESPValue, channel: String, kind: ChannelKind) -> Bool {
        guard let items = reply.array, items.count == 3 else {
            return false
        }
        return items[0].string == kind.subscribeCommand.lowercased() && items[1].string == channel
    }

    private static func refusal(_ reply: RESPValue, kind: ChannelKind) -> String {
        if case .error(let message) = reply {
            return message
        }
        return "unexpected reply to \(kind.subscribeCommand): \(reply)"
    }

    private func error(for failure: ChannelStateMachine.Failure) -> RedisError {
        switch failure {
        case .connectionUnavailable:
            return RedisError(.connectionUnavailable, message: "redis subscriber is not connected")
        case .timeout:
            let milliseconds = self.configuration.commandTimeout.nanoseconds / 1_000_000
            return RedisError(.timeout, message: "redis did not confirm \(kind.subscribeCommand) within \(milliseconds) ms")
        case .refused(let message):
            return RedisError(.server, message: message)
        case .shutdown:
            return RedisError(.connectionUnavailable, message: "redis subscriber is shut down")
        }
    }
}
