import Logging
import NIOCore

/// A request written into a Redis channel pipeline: commands plus where their replies go.
enum RedisRequest: Sendable {
    case single(RedisCommand, EventLoopPromise<RESPValue>)
    case pipeline([RedisCommand], EventLoopPromise<[RESPValue]>)
}

/// Encodes commands, parses replies and matches them to requests in FIFO order.
///
/// Lives on its channel's event loop and owns the hiredis reader there; nothing in
/// it is shared. Guarantees: every request's promise is completed exactly once, with
/// its replies in order, or with ``RedisError/Code/timeout`` when the oldest pending
/// request waited longer than the command timeout (the channel is then closed), or
/// with ``RedisError/Code/connectionClosed`` when the channel goes away first.
/// A pipeline is encoded into one buffer and written with one write.
///
/// With a health check, an idle connection is probed with `PING` and a connection that sends nothing
/// while a reply is due is closed as silent (see ``RedisLiveness``); its pending requests fail with
/// ``RedisError/Code/timeout``. The error that ended the connection is kept in `closeReason`.
final class RedisChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = RedisRequest
    typealias OutboundOut = ByteBuffer

    private enum Completion {
        case single(EventLoopPromise<RESPValue>)
        case pipeline(EventLoopPromise<[RESPValue]>, count: Int)
    }

    private struct Pending {
        var completion: Completion
        var deadline: NIODeadline
    }

    private let parser: RESPParser
    private let commandTimeout: TimeAmount
    private let logger: Logger
    private var pending = CircularBuffer<Pending>(initialCapacity: 16)
    /// Replies collected so far for the pipeline at the head of `pending`.
    private var pipelineReplies: [RESPValue] = []
    private let pushHandler: RedisPushHandler?
    private var pubSub: RedisPubSubDemultiplexer?
    private var timeoutTask: Scheduled<Void>?
    /// Set once the channel failed or closed; later requests fail with it at once.
    private var closedError: RedisError?
    private var liveness: RedisLiveness?
    private let healthCheck: (interval: TimeAmount, timeout: TimeAmount)?
    private var healthTask: Scheduled<Void>?
    private let closeReason: RedisCloseReason?

    init(
        commandTimeout: TimeAmount,
        healthCheck: (interval: TimeAmount, timeout: TimeAmount)? = nil,
        pushHandler: RedisPushHandler?,
        closeReason: RedisCloseReason? = nil,
        logger: Logger
    ) {
        self.parser = RESPParser()
        self.commandTimeout = commandTimeout
        self.healthCheck = healthCheck
        self.pushHandler = pushHandler
        self.pubSub = pushHandler == nil ? nil : RedisPubSubDemultiplexer()
        self.closeReason = closeReason
        self.logger = logger
    }

    /// Replies the pub/sub demultiplexer still expects (0 on a command connection). Read on the channel's loop.
    var pendingPubSubReplies: Int { self.pubSub?.pendingReplyCount ?? 0 }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive {
            self.startHealthCheck(context: context)
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        self.startHealthCheck(context: context)
        context.fireChannelActive()
    }

    // MARK: Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = self.unwrapOutboundIn(data)
        if let error = self.closedError {
            Self.fail(request, with: error)
            promise?.fail(error)
            return
        }
        // why: the loop's clock, so that tests on an embedded loop control time.
        let deadline = context.eventLoop.now + self.commandTimeout
        var buffer: ByteBuffer
        switch request {
        case .single(let command, let responsePromise):
            buffer = context.channel.allocator.buffer(capacity: 64)
            command.encode(into: &buffer)
            self.pubSub?.expectReply(to: command)
            self.pending.append(Pending(completion: .single(responsePromise), deadline: deadline))
        case .pipeline(let commands, let responsePromise):
            guard !commands.isEmpty else {
                responsePromise.succeed([])
                promise?.succeed()
                return
            }
            buffer = context.channel.allocator.buffer(capacity: 32 * commands.count)
            for command in commands {
                command.encode(into: &buffer)
                self.pubSub?.expectReply(to: command)
            }
            let completion = Completion.pipeline(responsePromise, count: commands.count)
            self.pending.append(Pending(completion: completion, deadline: deadline))
        }
        self.scheduleTimeoutIfNeeded(context: context)
        context.write(self.wrapOutboundOut(buffer), promise: promise)
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = self.unwrapInboundIn(data)
        self.liveness?.heard(at: context.eventLoop.now)
        do {
            try self.parser.feed(buffer)
            while self.closedError == nil, let value = try self.parser.next() {
                try self.route(value)
            }
        } catch {
            self.logger.error("redis protocol error; closing connection", metadata: [RedisMetadataKey.error: "\(error)"])
            self.failAll(with: error)
            context.close(promise: nil)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.deliverMessages()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.deliverMessages()
        self.failAll(with: RedisError(.connectionClosed, message: "connection to redis closed"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.logger.debug("redis connection error; closing", metadata: [RedisMetadataKey.error: "\(error)"])
        self.failAll(with: RedisError(.connectionClosed, message: "connection to redis failed", underlying: error))
        context.close(promise: nil)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.failAll(with: RedisError(.connectionClosed, message: "redis handler removed from the pipeline"))
    }

    // MARK: Health check

    private func startHealthCheck(context: ChannelHandlerContext) {
        guard let healthCheck = self.healthCheck, self.liveness == nil, self.closedError == nil else {
            return
        }
        let liveness = RedisLiveness(interval: healthCheck.interval, timeout: healthCheck.timeout, now: context.eventLoop.now)
        self.liveness = liveness
        self.scheduleHealthCheck(context: context)
    }

    private func scheduleHealthCheck(context: ChannelHandlerContext) {
        guard let period = self.liveness?.checkPeriod else {
            return
        }
        self.healthTask = context.eventLoop.assumeIsolated().scheduleTask(in: period) {
            self.healthTask = nil
            self.checkHealth(context: context)
            if self.closedError == nil {
                self.scheduleHealthCheck(context: context)
            }
        }
    }

    private func checkHealth(context: ChannelHandlerContext) {
        guard self.closedError == nil, let liveness = self.liveness else {
            return
        }
        switch liveness.check(now: context.eventLoop.now, awaitingReply: !self.pending.isEmpty) {
        case .none:
            break
        case .sendPing:
            let ping = RedisCommand("PING")
            var buffer = context.channel.allocator.buffer(capacity: 16)
            ping.encode(into: &buffer)
            self.pubSub?.expectReply(to: ping)
            // why: the probe's reply only proves the link alive (reading it resets the clock); nobody waits for it.
            let probe = context.eventLoop.makePromise(of: RESPValue.self)
            self.pending.append(Pending(completion: .single(probe), deadline: context.eventLoop.now + self.commandTimeout))
            self.scheduleTimeoutIfNeeded(context: context)
            context.writeAndFlush(self.wrapOutboundOut(buffer), promise: nil)
        case .closeSilent(let silence):
            let milliseconds = silence.nanoseconds / 1_000_000
            self.logger.debug("redis link silent; closing connection", metadata: [RedisMetadataKey.silentMilliseconds: "\(milliseconds)"])
            self.failAll(with: RedisError(.timeout, message: "redis sent nothing for \(milliseconds) ms while a reply was due; the link is silent"))
            context.close(promise: nil)
        }
    }

    // MARK: Routing

    private func route(_ value: RESPValue) throws(RedisError) {
        guard self.pubSub != nil, let route = self.pubSub?.route(value) else {
            try self.completeHead(with: value)
            return
        }
        switch route {
        case .reply(let reply):
            try self.completeHead(with: reply)
        case .buffered:
            break
        case .serverUnsubscribed(let channel):
            self.logger.info("redis dropped a sharded subscription", metadata: [RedisMetadataKey.channel: "\(channel)"])
            self.pushHandler?.onServerUnsubscribe(channel)
        case .ignored(let kind):
            self.logger.debug("ignoring unsolicited pub/sub push", metadata: [RedisMetadataKey.pushKind: "\(kind)"])
        }
    }

    /// Hands the messages of this read batch to the push handler, outside any mutation of `pubSub`.
    private func deliverMessages() {
        guard let batch = self.pubSub?.takeMessages(), !batch.isEmpty else {
            return
        }
        self.pushHandler?.onMessages(batch)
    }

    // MARK: Completion

    private func completeHead(with value: RESPValue) throws(RedisError) {
        guard let head = self.pending.first else {
            throw RedisError(.protocolError, message: "redis sent a reply while no command was pending")
        }
        switch head.completion {
        case .single(let promise):
            self.pending.removeFirst()
            promise.succeed(value)
        case .pipeline(let promise, let count):
            if self.pipelineReplies.isEmpty {
                self.pipelineReplies.reserveCapacity(count)
            }
            self.pipelineReplies.append(value)
            if self.pipelineReplies.count == count {
                self.pending.removeFirst()
                let replies = self.pipelineReplies
                self.pipelineReplies = []
                promise.succeed(replies)
            }
        }
    }

    private func failAll(with error: RedisError) {
        if self.closedError == nil {
            self.closedError = error
            self.closeReason?.record(error)
        }
        self.healthTask?.cancel()
        self.healthTask = nil
        self.timeoutTask?.cancel()
        self.timeoutTask = nil
        let failed = self.pending
        self.pending.removeAll()
        self.pipelineReplies = []
        for entry in failed {
            switch entry.completion {
            case .single(let promise):
                promise.fail(error)
            case .pipeline(let promise, _):
                promise.fail(error)
            }
        }
    }

    private static func fail(_ request: RedisRequest, with error: RedisError) {
        switch request {
        case .single(_, let promise):
            promise.fail(error)
        case .pipeline(_, let promise):
            promise.fail(error)
        }
    }

    // MARK: Timeout

    /// Arms one timer for the oldest pending request. The timer is lazy: it is not
    /// moved when replies arrive, it re-arms itself for the new head when it fires.
    private func scheduleTimeoutIfNeeded(context: ChannelHandlerContext) {
        guard self.timeoutTask == nil, let head = self.pending.first else {
            return
        }
        self.timeoutTask = context.eventLoop.assumeIsolated().scheduleTask(deadline: head.deadline) {
            self.timeoutTask = nil
            self.checkTimeout(context: context)
        }
    }

    private func checkTimeout(context: ChannelHandlerContext) {
        guard self.closedError == nil, let head = self.pending.first else {
            return
        }
        guard head.deadline <= context.eventLoop.now else {
            self.scheduleTimeoutIfNeeded(context: context)
            return
        }
        let milliseconds = self.commandTimeout.nanoseconds / 1_000_000
        self.logger.warning(
            "redis did not answer in time; closing connection",
            metadata: [RedisMetadataKey.timeoutMilliseconds: "\(milliseconds)"]
        )
        self.failAll(with: RedisError(.timeout, message: "redis did not answer within \(milliseconds) ms"))
        context.close(promise: nil)
    }
}
