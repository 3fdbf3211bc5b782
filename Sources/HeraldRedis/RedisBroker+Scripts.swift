extension RedisBroker {
    /// The Lua scripts, defined once. Each is loaded with `SCRIPT LOAD` and called with `EVALSHA`
    /// (reloaded on `NOSCRIPT`, for example after a Redis restart). Every key a script touches is in KEYS,
    /// all in one slot (the topic's, or `{nodes}` for the reports), so a wrong layout fails with CROSSSLOT before anything is written.
    enum Script {
        /// Appends a run of events to one topic and publishes each live, atomically: the events of one
        /// publish request that follow each other on the same topic go to Redis as one call. An event whose
        /// idempotency key was seen within its window is not appended again; its stored position is returned.
        ///
        /// KEYS: 1 stream, 2 meta, 3 live channel, 4… the run's idempotency keys (each at most once).
        /// ARGV: 1 max length (approximate), 2 max age in ms (0 = none), 3 meta time-to-live in ms,
        ///       4 idempotency window in ms, 5 the publishing node's clock in ms; then three per event: type
        ///       ('' = none), data, and the index in KEYS of its idempotency key ('0' = none).
        /// Reply: `{epoch, id, epoch, id, …}`, one pair per event in order.
        ///
        /// Ids are `<ms>-<ordinal>`: ms from the publishing node's clock, never going back within the topic;
        /// ordinal = last + 1. A missing meta hash starts a new epoch (a fresh random-ish 32-bit number from
        /// Redis' microseconds, never 0) and a fresh stream. With a max age, old entries are trimmed and idle
        /// keys expire (the meta hash later).
        ///
        /// Cost: a single event on a known topic is four commands (HMGET, XADD, SPUBLISH, HSET). why: every
        /// `redis.call` costs about 1 µs of Lua on top of its command, and turning a Lua number into text
        /// (`string.format`, `..` on a number) about as much, so the time comes in ARGV rather than from
        /// `TIME` (which only a new epoch calls), ms stays text, the ordinal is formatted once, and the meta
        /// hash gets only the fields that changed.
        static let publish = """
        local reply = {}
        local epoch, ordinal, count, now, last
        for i = 6, #ARGV, 3 do
          local key = ARGV[i + 2]
          local seen = key ~= '0' and redis.call('GET', KEYS[tonumber(key)])
          if seen then
            local space = string.find(seen, ' ', 1, true)
            reply[#reply + 1] = string.sub(seen, 1, space - 1)
            reply[#reply + 1] = string.sub(seen, space + 1)
          else
            if not epoch then
              local meta = redis.call('HMGET', KEYS[2], 'epoch', 'n', 'ms')
              epoch = meta[1]
              ordinal = tonumber(meta[2]) or 0
              now = ARGV[5]
              last = meta[3]
              if not epoch then
                redis.call('DEL', KEYS[1])
                local time = redis.call('TIME')
                epoch = string.format('%d', (tonumber(time[1]) * 1000000 + tonumber(time[2])) % 4294967295 + 1)
                ordinal = 0
                last = nil
              elseif last and tonumber(now) <= tonumber(last) then
                now = last
              end
            end
            ordinal = ordinal + 1
            count = tostring(ordinal)
            local id = now .. '-' .. count
            redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], id, 'e', ARGV[i], 'd', ARGV[i + 1])
            redis.call('SPUBLISH', KEYS[3], epoch .. ' ' .. id .. ' ' .. ARGV[i] .. '\\n' .. ARGV[i + 1])
            if key ~= '0' then redis.call('SET', KEYS[tonumber(key)], epoch .. ' ' .. id, 'PX', ARGV[4]) end
            reply[#reply + 1] = epoch
            reply[#reply + 1] = id
          end
        end
        if epoch then
          if not last then
            redis.call('HSET', KEYS[2], 'epoch', epoch, 'n', count, 'ms', now)
          elseif now == last then
            redis.call('HSET', KEYS[2], 'n', count)
          else
            redis.call('HSET', KEYS[2], 'n', count, 'ms', now)
          end
          local maxAge = tonumber(ARGV[2])
          if maxAge > 0 then
            local oldest = tonumber(now) - maxAge
            if oldest > 0 then redis.call('XTRIM', KEYS[1], 'MINID', '~', string.format('%d', oldest)) end
            redis.call('PEXPIRE', KEYS[1], maxAge)
            redis.call('PEXPIRE', KEYS[2], ARGV[3])
          end
        end
        return reply
        """

        /// Reads where a topic stands and, optionally, its events after an id, atomically.
        ///
        /// KEYS: 1 stream, 2 meta. ARGV: 1 exclusive start id ('' = only where the topic stands), 2 count.
        /// Reply: `{}` when the topic has no history; else `{epoch, last id}` or `{epoch, last id, entries}`
        /// where entries are XRANGE entries `[id, [field, value, …]]`.
        static let read = """
        local meta = redis.call('HMGET', KEYS[2], 'epoch', 'n', 'ms')
        if not meta[1] then return {} end
        local last = (meta[3] or '0') .. '-' .. (meta[2] or '0')
        if ARGV[1] == '' then return {meta[1], last} end
        return {meta[1], last, redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], '+', 'COUNT', ARGV[2])}
        """

        /// Reads what a topic retains, atomically: its epoch, stream length, and first and last id.
        ///
        /// KEYS: 1 stream, 2 meta. ARGV: none.
        /// Reply: `{}` when the topic has no meta hash; else `{epoch, length, first id or '', last id}`, where the
        /// last id is the meta hash's (the stream is trimmed from the front only, so it is its last entry's).
        static let retained = """
        local meta = redis.call('HMGET', KEYS[2], 'epoch', 'n', 'ms')
        if not meta[1] then return {} end
        local length = redis.call('XLEN', KEYS[1])
        local first = ''
        if length > 0 then first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1][1] end
        return {meta[1], length, first, (meta[3] or '0') .. '-' .. (meta[2] or '0')}
        """

        /// Refreshes this node's subscriber report and applies changes to it, atomically: readers never see
        /// a report half written. The report is the hash `NodeKeys.report(of:)`: topic → this node's
        /// subscribers, plus `NodeKeys.liveField`. The hash and the node's directory entry expire unless
        /// refreshed, so a killed node's subscribers leave the count within the expiry.
        ///
        /// KEYS: 1 directory, 2 this node's report.
        /// ARGV: 1 node id, 2 expiry in ms, 3 mode: `replace` (the changes are the whole report) or `update`
        ///       (only what changed since the last accepted report); 4 n, the number of topics to remove;
        ///       then n topics to remove; then topic, count pairs to set.
        /// Reply: 1 when applied; 0 when an `update` found no report to update (it expired while Redis was
        /// out of reach, or Redis lost it): nothing was written, send the whole report with `replace`.
        ///
        /// Cost: O(changes) plus O(log nodes); an idle interval is one call with four arguments, however
        /// many topics the node has. why: chunks of 1000 arguments stay below Lua's `unpack` limit (8000).
        static let report = """
        local time = redis.call('TIME')
        local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
        local expiry = tonumber(ARGV[2])
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - expiry)
        redis.call('ZADD', KEYS[1], now, ARGV[1])
        redis.call('PEXPIRE', KEYS[1], expiry)
        if ARGV[3] == 'replace' then redis.call('DEL', KEYS[2]) end
        if redis.call('HSET', KEYS[2], '', now) == 1 and ARGV[3] ~= 'replace' then
          redis.call('DEL', KEYS[2])
          return 0
        end
        local removals = tonumber(ARGV[4])
        for i = 5, 4 + removals, 1000 do
          redis.call('HDEL', KEYS[2], unpack(ARGV, i, math.min(i + 999, 4 + removals)))
        end
        for i = 5 + removals, #ARGV, 1000 do
          redis.call('HSET', KEYS[2], unpack(ARGV, i, math.min(i + 999, #ARGV)))
        end
        redis.call('PEXPIRE', KEYS[2], expiry)
        return 1
        """
    }
}
