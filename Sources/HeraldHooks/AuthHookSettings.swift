/// How Herald calls an application's auth hook (`--subscribe-auth-url`, `--publish-auth-url`).
public struct AuthHookSettings: Sendable {
    /// The hook's `http://` or `https://` URL; Herald `POST`s each question to it.
    public var url: String
    /// The request headers Herald forwards to the hook (lowercased), as headers of its request and in its body.
    public var forwardedHeaders: [String]
    /// The longest Herald waits for an answer, queueing for a connection included.
    public var timeout: Duration
    /// How long an answer is reused for the same question, unless the hook's `Cache-Control` says otherwise.
    public var cacheTTL: Duration
    /// The most calls in flight to the hook at once (its connection pool); further calls wait their turn.
    public var maxConcurrentCalls: Int
    /// With the hook unreachable, a stream that resumes (`Last-Event-ID`) with the credentials and topics of
    /// a stream this node held within the last `failOpenWindow` is let through.
    public var failOpenForResumes: Bool
    public var failOpenWindow: Duration = .seconds(60)
    /// The largest answer body read; a longer one is no answer.
    public var maxAnswerBytes = 64 << 10
    /// The most answers cached at once; past it (expired ones swept first), new answers are used but not kept.
    /// why: a client sending a new cookie value per request makes a new question each time; refusals are cached
    /// too, so without a bound the cache grows with that client's rate times `cacheTTL`.
    public var maxCachedAnswers = 100_000

    public static let defaultForwardedHeaders = ["cookie", "authorization", "origin"]

    public init(
        url: String, forwardedHeaders: [String] = AuthHookSettings.defaultForwardedHeaders, timeout: Duration = .seconds(2),
        cacheTTL: Duration = .seconds(10), maxConcurrentCalls: Int = 32, failOpenForResumes: Bool = false
    ) {
        self.url = url
        self.forwardedHeaders = forwardedHeaders.map { $0.lowercased() }
        self.timeout = timeout
        self.cacheTTL = cacheTTL
        self.maxConcurrentCalls = maxConcurrentCalls
        self.failOpenForResumes = failOpenForResumes
    }
}
