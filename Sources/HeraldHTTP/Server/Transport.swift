/// What carries a request, as far as the edge must know it to answer: an event stream is framed and bounded
/// differently on each.
enum Transport {
    /// A connection of its own (HTTP/1.x).
    case http1
    /// A stream of an HTTP/2 connection; its streams share `budget` for a client that stops reading.
    case http2(HTTP2ConnectionBudget)
}
