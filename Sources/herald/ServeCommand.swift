import ArgumentParser
import HeraldCore
import HeraldHTTP
import HeraldRedis
import Logging
import NIOPosix
import ServiceLifecycle

/// `herald serve`: runs one node. Every option is also an environment variable; the flag wins.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run a Herald node: POST /publish, GET /events (SSE), GET /healthz, GET /readyz.",
        discussion: "Every option can also be set by the environment variable named in its help; a flag wins over the variable."
    )

    @OptionGroup var options: ServeOptions

    func run() async throws {
        let settings = try ServeSettings(options: options, environment: ProcessEnvironment.variable)
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = settings.logLevel
            return handler
        }
        let logger = Logger(label: "herald")
        let eventLoopGroup = MultiThreadedEventLoopGroup(numberOfThreads: settings.threads)
        let fanOut = FanOut(eventLoopGroup: eventLoopGroup, heartbeatInterval: settings.heartbeatInterval)

        var services: [any Service] = []
        let broker: any Broker
        if let redis = settings.redis {
            let redisBroker = try RedisBroker(configuration: redis, fanOut: fanOut, eventLoopGroup: eventLoopGroup, logger: logger)
            services += redisBroker.services
            broker = redisBroker
            logger.info("using the redis backend", metadata: ["redis.address": "\(redis.connection.host):\(redis.connection.port)"])
        } else {
            broker = MemoryBroker(fanOut: fanOut, retention: settings.retention)
            logger.info("using the in-memory backend: history is per node and lost on restart; set --redis-url to run several nodes")
        }
        let server = HTTPServer(configuration: settings.edge, broker: broker, fanOut: fanOut, eventLoopGroup: eventLoopGroup, logger: logger)
        services.append(server)

        let group = ServiceGroup(
            configuration: .init(services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        try await group.run()
        try await eventLoopGroup.shutdownGracefully()
    }
}
