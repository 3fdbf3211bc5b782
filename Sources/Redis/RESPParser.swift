import CHiredis
import NIOCore

/// An incremental RESP2 parser backed by hiredis' `redisReader`.
///
/// Bytes may arrive in any fragmentation: the reader buffers partial frames and
/// returns a reply only once it is complete. Every reply is deep-copied into a
/// ``RESPValue`` and freed before ``next()`` returns, so no C pointer escapes.
///
/// Not thread-safe and deliberately not `Sendable`: it is owned by one
/// `RedisChannelHandler` and used only on that handler's event loop. After a
/// protocol error the reader is poisoned and every later call throws.
///
/// Public so that other readers of RESP2 bytes (the fuzz targets in `Fuzz/`, a
/// replay of captured traffic) decode exactly as a connection does.
public final class RESPParser {
    /// The most elements one array reply may announce; a larger `*<count>` header is a protocol error.
    // why: hiredis allocates an array's element pointers as soon as it reads the header, before any element
    // arrives, so one bad header (`*637588000`, found by Fuzz/FuzzRedisReply) would allocate gigabytes.
    // Herald's largest replies are XRANGE pages, far below this.
    public static let maximumArrayElements = 1 << 20

    private let reader: UnsafeMutablePointer<redisReader>
    private let allocator: ByteBufferAllocator
    /// The count of the array header refused by ``limitedReplyFunctions``, 0 if none; the reader's `privdata`.
    private let refusedArrayCount: UnsafeMutablePointer<Int32>

    /// A parser with an empty buffer; bulk strings are copied into buffers from `allocator`.
    public init(allocator: ByteBufferAllocator = ByteBufferAllocator()) {
        // why: redisReaderCreate only fails when malloc fails; there is no recovery from that.
        guard let reader = redisReaderCreateWithFunctions(limitedReplyFunctions) else {
            fatalError("redisReaderCreate failed: out of memory")
        }
        self.reader = reader
        self.allocator = allocator
        self.refusedArrayCount = .allocate(capacity: 1)
        self.refusedArrayCount.initialize(to: 0)
        reader.pointee.privdata = UnsafeMutableRawPointer(self.refusedArrayCount)
    }

    deinit {
        redisReaderFree(self.reader)
        self.refusedArrayCount.deallocate()
    }

    /// Hands `buffer`'s readable bytes to the parser (they are copied).
    public func feed(_ buffer: ByteBuffer) throws(RedisError) {
        let status = buffer.withUnsafeReadableBytes { bytes -> Int32 in
            guard let base = bytes.baseAddress, bytes.count > 0 else {
                return REDIS_OK
            }
            return redisReaderFeed(self.reader, base.assumingMemoryBound(to: CChar.self), bytes.count)
        }
        if status != REDIS_OK {
            throw self.protocolError()
        }
    }

    /// The next complete reply, or `nil` when more bytes are needed.
    public func next() throws(RedisError) -> RESPValue? {
        var raw: UnsafeMutableRawPointer?
        guard redisReaderGetReply(self.reader, &raw) == REDIS_OK else {
            throw self.protocolError()
        }
        guard let raw else {
            return nil
        }
        let reply = raw.assumingMemoryBound(to: redisReply.self)
        defer { freeReplyObject(raw) }
        return self.copy(reply)
    }

    private func copy(_ reply: UnsafeMutablePointer<redisReply>) -> RESPValue {
        let node = reply.pointee
        switch node.type {
        case REDIS_REPLY_STATUS:
            return .simpleString(Self.string(node.str, node.len))
        case REDIS_REPLY_ERROR:
            return .error(Self.string(node.str, node.len))
        case REDIS_REPLY_INTEGER:
            return .integer(Int64(node.integer))
        case REDIS_REPLY_STRING:
            var buffer = self.allocator.buffer(capacity: node.len)
            if let str = node.str, node.len > 0 {
                buffer.writeBytes(UnsafeRawBufferPointer(start: str, count: node.len))
            }
            return .bulkString(buffer)
        case REDIS_REPLY_ARRAY:
            var values: [RESPValue] = []
            values.reserveCapacity(node.elements)
            if let elements = node.element {
                for index in 0..<node.elements {
                    if let element = elements[index] {
                        values.append(self.copy(element))
                    } else {
                        values.append(.null)
                    }
                }
            }
            return .array(values)
        default:
            // REDIS_REPLY_NIL: a nil bulk string or a nil array.
            return .null
        }
    }

    private static func string(_ pointer: UnsafeMutablePointer<CChar>?, _ length: Int) -> String {
        guard let pointer, length > 0 else {
            return ""
        }
        let bytes = UnsafeRawBufferPointer(start: pointer, count: length)
        return String(decoding: bytes, as: UTF8.self)
    }

    private func protocolError() -> RedisError {
        let refused = self.refusedArrayCount.pointee
        guard refused == 0 else {
            return RedisError(
                .protocolError,
                message: "invalid RESP2 from server: an array reply announces \(refused) elements, more than the limit of \(Self.maximumArrayElements)"
            )
        }
        let detail = String(cString: chiredis_reader_errstr(self.reader))
        return RedisError(.protocolError, message: "invalid RESP2 from server: \(detail)")
    }
}

/// hiredis' default reply functions, taken from a reader made with them (the table itself is not exported).
private let defaultReplyFunctions: redisReplyObjectFunctions = {
    guard let probe = redisReaderCreate() else {
        fatalError("redisReaderCreate failed: out of memory")
    }
    defer { redisReaderFree(probe) }
    return probe.pointee.fn.pointee
}()

/// The default reply functions, except that an array header above ``RESPParser/maximumArrayElements`` is
/// refused (hiredis then fails the reply) and its count recorded in the task's `privdata`.
nonisolated(unsafe) private let limitedReplyFunctions: UnsafeMutablePointer<redisReplyObjectFunctions> = {
    var functions = defaultReplyFunctions
    functions.createArray = { task, elements in
        guard let task else { return nil }
        guard elements <= RESPParser.maximumArrayElements else {
            task.pointee.privdata?.assumingMemoryBound(to: Int32.self).pointee = elements
            return nil
        }
        return defaultReplyFunctions.createArray?(task, elements)
    }
    let table = UnsafeMutablePointer<redisReplyObjectFunctions>.allocate(capacity: 1)
    table.initialize(to: functions)
    return table
}()
