import Logging
import NIOCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Pauses accepting when `accept` fails for lack of descriptors or memory, and says so once per burst.
///
/// SwiftNIO's `ServerSocketChannel` keeps a listener open after EMFILE, ENFILE, ENOBUFS and ENOMEM, but
/// without a back-off it asks for the next read at once: the kernel still reports the backlog readable, the
/// next `accept` fails the same way, and the event loop spins at a whole core (seen before this handler:
/// 5 s of CPU in 5 s, nothing logged). ``handlers(counters:logger:)`` puts NIO's `AcceptBackoffHandler`
/// in front, which delays the next read by ``pause`` after each such failure, and this handler behind it,
/// which counts failures (`CapacityCounters`), logs the first failure of a burst as a warning, and logs the
/// burst's count once a connection is accepted again.
final class AcceptPauseReporter: ChannelInboundHandler {
    typealias InboundIn = any Channel

    /// How long accepting pauses after a failed accept.
    /// why: the same order as nginx's 500 ms; at 100 ms a node that stays full makes ten failing accept
    /// calls a second (nothing measurable), and waiting clients get in within 0.1 s of a descriptor freeing.
    static let pause = TimeAmount.milliseconds(100)

    private let counters: CapacityCounters
    private let logger: Logger
    /// Failures since the last accepted connection.
    private var failuresInBurst = 0
    private var burstStart: NIODeadline?

    init(counters: CapacityCounters, logger: Logger) {
        self.counters = counters
        self.logger = logger
    }

    /// The server channel's handlers, in pipeline order: the back-off, then this reporter.
    static func handlers(counters: CapacityCounters, logger: Logger) -> [any ChannelHandler] {
        let backoff = AcceptBackoffHandler(shouldForwardIOErrorCaught: true) { error in
            guard isResourceShortage(error) else { return nil }
            counters.acceptPauses.add(1, ordering: .relaxed)
            return pause
        }
        return [backoff, AcceptPauseReporter(counters: counters, logger: logger)]
    }

    /// True for the accept errors that a pause can outlast: out of descriptors (process or system) or memory.
    static func isResourceShortage(_ error: IOError) -> Bool {
        [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(error.errnoCode)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if failuresInBurst > 0 {
            let lasted = burstStart.map { NIODeadline.now() - $0 } ?? .zero
            logger.notice("accepting connections again", metadata: [
                LogKeys.acceptFailures: "\(failuresInBurst)",
                LogKeys.acceptPauseMilliseconds: "\(Self.pause.nanoseconds / 1_000_000)",
                LogKeys.burstMilliseconds: "\(lasted.nanoseconds / 1_000_000)",
            ])
            failuresInBurst = 0
            burstStart = nil
        }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let ioError = error as? IOError, Self.isResourceShortage(ioError) else {
            context.fireErrorCaught(error)
            return
        }
        counters.acceptFailures.add(1, ordering: .relaxed)
        failuresInBurst += 1
        guard failuresInBurst == 1 else { return }
        burstStart = .now()
        counters.acceptFailureBursts.add(1, ordering: .relaxed)
        logger.warning("accept failed for lack of descriptors or memory; pausing accepts until connections close", metadata: [
            LogKeys.error: "\(ioError)",
            LogKeys.acceptPauseMilliseconds: "\(Self.pause.nanoseconds / 1_000_000)",
            LogKeys.address: "\(context.channel.localAddress.map { "\($0)" } ?? "?")",
        ])
    }
}
