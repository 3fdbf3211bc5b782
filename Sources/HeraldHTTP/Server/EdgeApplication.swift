import HeraldCore
import Logging
import NIOCore
import Synchronization

/// What every connection of the edge shares: the broker, the fan-out, settings and the shutdown state.
final class EdgeApplication: Sendable {
    let broker: any Broker
    let fanOut: FanOut
    let opener: StreamOpener
    let configuration: EdgeConfiguration
    let logger: Logger
    private let draining = Atomic<Bool>(false)
    private let openConnections = Mutex<[ObjectIdentifier: any Channel]>([:])

    init(broker: any Broker, fanOut: FanOut, configuration: EdgeConfiguration, logger: Logger) {
        self.broker = broker
        self.fanOut = fanOut
        self.opener = StreamOpener(broker: broker)
        self.configuration = configuration
        self.logger = logger
    }

    /// True once graceful shutdown began: new streams are refused with 503.
    var isDraining: Bool { draining.load(ordering: .relaxed) }

    func beginDraining() { draining.store(true, ordering: .relaxed) }

    /// Tracks `channel` until it closes, so that shutdown can close idle keep-alive connections.
    func track(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        openConnections.withLock { $0[id] = channel }
        channel.closeFuture.whenComplete { [weak self] _ in
            _ = self?.openConnections.withLock { $0.removeValue(forKey: id) }
        }
    }

    /// Closes every connection still open.
    func closeAllConnections() async {
        let channels = openConnections.withLock { Array($0.values) }
        for channel in channels { try? await channel.close() }
    }
}
