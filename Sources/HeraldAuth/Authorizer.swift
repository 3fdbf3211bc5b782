/// The auth settings of the HTTP edge: publisher and subscriber auth, each off when nil.
///
/// Off means open: without publisher auth anyone who reaches the publish API can publish, without subscriber
/// auth every topic is public (`herald serve` warns at startup).
public struct Authorizer: Sendable {
    public var publisher: PublisherAuth?
    public var subscriber: SubscriberAuth?
    /// The cookie a browser's EventSource (`withCredentials: true`) sends the subscriber token in.
    public var cookieName: String

    public static let defaultCookieName = "herald_token"

    public init(publisher: PublisherAuth? = nil, subscriber: SubscriberAuth? = nil, cookieName: String = Authorizer.defaultCookieName) {
        self.publisher = publisher
        self.subscriber = subscriber
        self.cookieName = cookieName
    }
}
