import Testing

@testable import Redis

@Suite("Sharded channel state machine, driven without I/O")
struct ChannelStateMachineTests {
    typealias Machine = RedisSubscriber.ChannelStateMachine

    private func connectedMachine() -> Machine {
        var machine = Machine()
        #expect(machine.connected() == [])
        return machine
    }

    @Test("The first subscriber sends SSUBSCRIBE and waits for the confirmation")
    func firstSubscriberSubscribes() {
        var machine = self.connectedMachine()
        #expect(machine.subscribe("c", waiter: 1) == [.sendSubscribe("c")])
        #expect(machine.subscribe("c", waiter: 2) == [])
        #expect(machine.subscribeConfirmed("c") == [.succeedWaiters([1, 2])])
        #expect(machine.subscriberCount("c") == 2)
        #expect(machine.subscribe("c", waiter: 3) == [.succeedWaiters([3])])
        #expect(machine.subscriberCount("c") == 3)
    }

    @Test("Only the last unsubscribe sends SUNSUBSCRIBE")
    func lastUnsubscribeUnsubscribes() {
        var machine = self.connectedMachine()
        _ = machine.subscribe("c", waiter: 1)
        _ = machine.subscribe("c", waiter: 2)
        _ = machine.subscribeConfirmed("c")
        #expect(machine.unsubscribe("c") == [])
        #expect(machine.unsubscribe("c") == [.sendUnsubscribe("c")])
        #expect(machine.unsubscribeConfirmed("c") == [])
        #expect(machine.remoteState("c") == .unsubscribed)
        #expect(machine.unsubscribe("c") == [], "an unbalanced unsubscribe is ignored")
    }

    @Test("Subscribing while not connected fails at once and counts nothing")
    func subscribeWhileDisconnected() {
        var machine = Machine()
        #expect(machine.subscribe("c", waiter: 1) == [.failWaiters([1], .connectionUnavailable)])
        #expect(machine.subscriberCount("c") == 0)
    }

    @Test("A subscribe during an in-flight SUNSUBSCRIBE re-subscribes after its confirmation")
    func subscribeDuringUnsubscribe() {
        var machine = self.connectedMachine()
        _ = machine.subscribe("c", waiter: 1)
        _ = machine.subscribeConfirmed("c")
        #expect(machine.unsubscribe("c") == [.sendUnsubscribe("c")])
        #expect(machine.subscribe("c", waiter: 2) == [], "nothing is sent while SUNSUBSCRIBE is in flight")
        #expect(machine.unsubscribeConfirmed("c") == [.sendSubscribe("c")])
        #expect(machine.subscribeConfirmed("c") == [.succeedWaiters([2])])
        #expect(machine.subscriberCount("c") == 1)
    }

    @Test("The last unsubscribe during an in-flight SSUBSCRIBE unsubscribes after its confirmation")
    func unsubscribeDuringSubscribe() {
        var machine = self.connectedMachine()
        _ = machine.subscribe("c", waiter: 1)
        _ = machine.subscribeConfirmed("c")
        _ = machine.unsubscribe("c")
        _ = machine.subscribe("c", waiter: 2)
        _ = machine.unsubscribeConfirmed("c")
        // The waiter gives up while the re-subscribe is in flight.
        #expect(machine.waiterTimedOut("c", waiter: 2) == [.failWaiters([2], .timeout)])
        #expect(machine.subscribeConfirmed("c") == [.sendUnsubscribe("c")])
        #expect(machine.unsubscribeConfirmed("c") == [])
        #expect(machine.subscriberCount("c") == 0)
    }

    @Test("A subscriber that stays during an in-flight SSUBSCRIBE keeps the channel")
    func keepDuringSubscribe() {
        var machine = self.connectedMachine()
        _ = machine.subscribe("c", waiter: 1)
        _ = machine.subscribeConfirmed("c")
        _ = machine.subscribe("d", waiter: 2)
        #expect(machine.unsubscribe("d") == [], "nobody is confirmed on d yet")
        #expect(machine.subscribeConfirmed("d") == [.succeedWaiters([2])])
        #expect(machine.remoteState("d") == .subscribed)
    }

    @Test("A timed-out waiter is failed once and not counted; a late confirmation is ignored for it")
    func waiterTimeout() {
        var machine = self.connectedMachine()
        _ = machine.subscribe("c", waiter: 1)
        #expect(machine.waiterTimedOut("c", waiter: 1) == [.failWaiters([1], .timeout)])
        #expect(machine.waiterTimedOut("c", waiter: 1) == [])
        #expect(machine.subscribeConfirmed("c") == [.sendUnsubscribe("c")])
        #expect(machine.subscriberCount("c") == 0)
    }

    @Test("Waiters survive a connection loss and are served by the reconnect")
    func connectionLostWithWaiters() {
        var machine = self.connectedMachine()
        _ = machine.subscribe("c", waiter: 1)
        #expect(machine.connectionLost() == [])
        #expect(machine.subscribeConfirmed("c") == [], "a confirmation from the old connection is ignored")
        #expect(machine.connected() == [.sendSubscribe("c"), .notifyResubscribed([])], "the waiter had not counted yet: nothing missed")
        #expect(machine.subscribeConfirmed("c") == [.succeedWaiters([1])])
    }

    @Test("A reconnect re-subscribes every wanted channel, then reports those with subscribers")
    func reconnectResubscribesEverything() {
        var machine = self.connectedMachine()
        for (waiter, name) in ["a", "b", "c"].enumerated() {
            _ = machine.subscribe(name, waiter: waiter)
            _ = machine.subscribeConfirmed(name)
        }
        _ = machine.unsubscribe("c")
        _ = machine.unsubscribeConfirmed("c")
        _ = machine.connectionLost()
        #expect(machine.connected() == [.sendSubscribe("a"), .sendSubscribe("b")])
        #expect(machine.subscribeConfirmed("b") == [])
        #expect(machine.subscribeConfirmed("a") == [.notifyResubscribed(["b", "a"])])
        #expect(machine.subscriberCount("a") == 1)
    }

    @Test("A refused re-subscribe does not hold back the report of the others")
    func refusedResubscribe() {
        var machine = self.connectedMachine()
        for (waiter, name) in ["a", "b"].enumerated() {
            _ = machine.subscribe(name, waiter: waiter)
            _ = machine.subscribeConfirmed(name)
        }
        _ = machine.connectionLost()
        _ = machine.connected()
        #expect(machine.subscribeRefused("a", message: "NOPERM") == [])
        #expect(machine.subscribeConfirmed("b") == [.notifyResubscribed(["b"])])
    }

    @Test("Unsubscribing while disconnected forgets the channel")
    func unsubscribeWhileDisconnected() {
        var machine = self.connectedMachine()
        _ = machine.subscribe("c", waiter: 1)
        _ = machine.subscribeConfirmed("c")
        _ = machine.connectionLost()
        #expect(machine.unsubscribe("c") == [])
        #expect(machine.connected() == [.notifyResubscribed([])])
    }

    @Test("Every reconnect is reported once, also when nothing was re-subscribed or every re-subscribe was refused")
    func everyReconnectIsReported() {
        var machine = self.connectedMachine()
        _ = machine.connectionLost()
        #expect(machine.connected() == [.notifyResubscribed([])])
        _ = machine.subscribe("a", waiter: 1)
        _ = machine.subscribeConfirmed("a")
        _ = machine.connectionLost()
        #expect(machine.connected() == [.sendSubscribe("a")])
        #expect(machine.subscribeRefused("a", message: "NOPERM") == [.notifyResubscribed([])])
    }

    @Test("A server-initiated sunsubscribe re-subscribes and reports the channel")
    func serverUnsubscribe() {
        var machine = self.connectedMachine()
        _ = machine.subscribe("c", waiter: 1)
        _ = machine.subscribeConfirmed("c")
        #expect(machine.serverUnsubscribed("c") == [.sendSubscribe("c")])
        #expect(machine.subscribeConfirmed("c") == [.notifyResubscribed(["c"])])
        #expect(machine.serverUnsubscribed("unknown") == [])
    }

    @Test("A channel Redis drops for another shard is forgotten and handed to the owner, not re-subscribed")
    func dropByServer() {
        var machine = self.connectedMachine()
        _ = machine.subscribe("c", waiter: 1)
        _ = machine.subscribe("c", waiter: 2)
        _ = machine.subscribeConfirmed("c")
        #expect(machine.dropByServer("c") == [.notifyDropped("c")])
        #expect(machine.subscriberCount("c") == 0 && machine.channelCount == 0)
        #expect(machine.dropByServer("c") == [], "reported once")
        _ = machine.subscribe("d", waiter: 3)
        #expect(machine.dropByServer("d") == [], "a channel not yet confirmed is not dropped")
        #expect(machine.unsubscribe("c") == [], "unsubscribing a dropped channel sends nothing")
    }

    @Test("A refused SSUBSCRIBE fails its waiters with Redis' message")
    func refusedSubscribe() {
        var machine = self.connectedMachine()
        _ = machine.subscribe("c", waiter: 1)
        _ = machine.subscribe("c", waiter: 2)
        #expect(machine.subscribeRefused("c", message: "MOVED 1 x") == [.failWaiters([1, 2], .refused("MOVED 1 x"))])
        #expect(machine.subscribe("c", waiter: 3) == [.sendSubscribe("c")])
    }

    @Test("Shutdown fails every waiter and every later subscribe")
    func shutdownFailsWaiters() {
        var machine = self.connectedMachine()
        _ = machine.subscribe("a", waiter: 1)
        _ = machine.subscribe("b", waiter: 2)
        #expect(machine.shutdown() == [.failWaiters([1, 2], .shutdown)])
        #expect(machine.subscribe("a", waiter: 3) == [.failWaiters([3], .shutdown)])
        #expect(machine.connected() == [])
    }

    @Test("After N channels were subscribed and left, across a reconnect, refusals and timeouts, the machine tracks none")
    func everyChannelIsReleased() {
        var machine = self.connectedMachine()
        let names = (0..<300).map { "herald:{user/\($0)}:live" }
        for (index, name) in names.enumerated() {
            _ = machine.subscribe(name, waiter: index)
        }
        for (index, name) in names.enumerated() {
            switch index % 3 {
            case 0: _ = machine.subscribeConfirmed(name)
            case 1: _ = machine.subscribeRefused(name, message: "NOPERM")
            default: _ = machine.waiterTimedOut(name, waiter: index)
            }
        }
        _ = machine.connectionLost()
        _ = machine.connected()
        for (index, name) in names.enumerated() where index % 3 == 0 {
            _ = machine.subscribeConfirmed(name)
        }
        #expect(machine.resubscribingCount == 0)
        for (index, name) in names.enumerated() where index % 3 == 0 {
            #expect(machine.unsubscribe(name) == [.sendUnsubscribe(name)])
        }
        for name in names {
            _ = machine.subscribeConfirmed(name)
            _ = machine.unsubscribeConfirmed(name)
        }
        #expect(machine.channelCount == 0)
        #expect(machine.resubscribingCount == 0)
    }
}
