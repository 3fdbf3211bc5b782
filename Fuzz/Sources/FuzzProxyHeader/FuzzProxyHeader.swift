import HeraldWire
import NIOCore

/// libFuzzer entry for the PROXY protocol header parser (`--proxy-protocol`), which reads the first bytes of
/// every connection before anything else does.
///
/// Checks, for every input:
/// - `ProxyHeader.parse` throws a `ProxyHeaderError` with a message, asks for more bytes, or returns a header
///   whose length lies within the input;
/// - it never asks for more once a decision is due: at most 107 bytes of a version 1 line, 16 + 4096 of a
///   version 2 header;
/// - a header is read the same from exactly its own bytes, and one byte fewer asks for more (a reader that
///   gets the bytes in pieces decides at the same byte);
/// - the header's addresses survive being written again in either version and read back.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProxyHeader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = ByteBuffer(bytes: UnsafeBufferPointer(start: data, count: size))
    let header: ProxyHeader
    do {
        guard let parsed = try ProxyHeader.parse(input) else {
            guard size < 16 + ProxyHeader.maximumV2Length else { fatalError("asked for more after \(size) bytes") }
            if input.readableBytesView.first == UInt8(ascii: "P"), size >= ProxyHeader.maximumV1Length {
                fatalError("a version 1 line asked for more after \(size) bytes")
            }
            return 0
        }
        header = parsed
    } catch {
        guard !error.message.isEmpty else { fatalError("\(error.code) without a message") }
        return 0
    }
    guard header.length > 0, header.length <= size else { fatalError("length \(header.length) of \(size) bytes") }
    let exact = input.getSlice(at: input.readerIndex, length: header.length)!
    guard (try? ProxyHeader.parse(exact)) == header else { fatalError("its own bytes read differently") }
    let shorter = input.getSlice(at: input.readerIndex, length: header.length - 1)!
    guard case .some(.none) = try? ProxyHeader.parse(shorter) else { fatalError("one byte fewer did not ask for more") }
    for encoded in [header.version2(), header.version1] {
        guard let again = try? ProxyHeader.parse(encoded) else { fatalError("the re-encoded header does not parse") }
        if header.source != nil, header.destination != nil, header.source?.protocol == header.destination?.protocol {
            guard again.source == header.source, again.destination == header.destination else {
                fatalError("addresses changed on re-encoding: \(String(describing: header.source)) → \(String(describing: again.source))")
            }
        }
    }
    return 0
}
