#!/usr/bin/env python3
"""Side-by-side table of a bench/run.sh results folder: Herald | nchan | ratio, per scenario, and the verdicts.

    bench/report.py bench-results/<folder>          # prints the Markdown and writes <folder>/summary.md
    bench/report.py --one <folder>/<run>.json       # one line about one run (bench/run.sh prints it)
    bench/report.py --soak <folder>/soak-*.rounds.jsonl   # the soak's growth per 100,000 topics, per file
    bench/report.py --tokens-held <folder>/<run>.json     # exit 0 when a tokens run held its N (bench/run.sh asks)

A run is the files <NN>-<scenario>-<point>.<server>.*: meta.json (what ran, and whether it finished),
json (`herald bench --json`), samples.jsonl (bench/sample.py: RSS and CPU of the server and redis) and
log (the bench's stderr, each line prefixed with the Unix time). Server memory and CPU come from the
samples for both servers, so Herald's one process and nchan's two workers are measured alike.
A figure missing from a run's JSON shows as "-", never as a guess.
"""
import glob
import json
import os
import re
import sys

SERVERS = ("herald", "nchan")
# Targets of the performance issue. nchan's figures are measured in the same run, not quoted.
FAN1K_RATE, FAN1K_P99 = 300, 100.0
# why: 500 ms, not 250: at 250 ms both servers sat on this machine's floor (p99 131–274 ms at 5–10/s, issue 13).
FAN10K_P99, FAN10K_RATIO = 500.0, 1.5
TOPICS_P99, TOPICS_RATIO = 100.0, 1.5
IDLE_BYTES_PER_CONN = 8000
PUBLISH_RATIO, PUBLISH_MIN, BATCH_MIN = 3.0, 45000, 100000
STORM_SECONDS = 5.0
# tokens: generations carried with every token delivered once, in order, at p99 ≤ 50 ms; streaming requests
# ≥ 3× nchan's generations, one request per token ≥ 1.5×.
TOKENS_P99, TOKENS_STREAM_RATIO, TOKENS_REQUEST_RATIO = 50.0, 3.0, 1.5
# A run "holds" a rate when it publishes at least this share of it (the publisher is open loop).
HELD = 0.95


def get(d, *path):
    for key in path:
        if not isinstance(d, dict) or key not in d:
            return None
        d = d[key]
    return d


def first(d, *paths):
    """The first of several spellings of a key path that is present."""
    for path in paths:
        value = get(d, *path.split("."))
        if value is not None:
            return value
    return None


class Run:
    def __init__(self, meta_path):
        base = meta_path[: -len(".meta.json")]
        self.name = os.path.basename(base)
        self.meta = json.load(open(meta_path))
        self.scenario, self.point, self.server = self.meta["scenario"], self.meta["point"], self.meta["server"]
        self.status = self.meta["status"]
        self.report = load_json(base + ".json")
        if self.status == "ok" and self.report is None:
            self.status = "failed"
        self.samples = load_lines(base + ".samples.jsonl")
        self.phases = phases(base + ".log")

    @property
    def ok(self):
        return self.status == "ok"

    def r(self, *paths):
        return first(self.report, *paths) if self.report else None

    # Figures of the load generator.
    @property
    def target(self):
        return self.r("settings.rate")

    @property
    def subscribers(self):
        return self.r("connect.connected")

    @property
    def published(self):
        return self.r("publish.acknowledgedPerSecond")

    @property
    def events_per_second(self):
        """Events acknowledged per second: the load generator counts a batch of N as N events."""
        return self.published

    @property
    def requests_per_second(self):
        return self.r("publish.requestsPerSecond") or (self.published if self.batch == 1 else None)

    @property
    def batch(self):
        return self.r("settings.batch") or 1

    @property
    def deliveries(self):
        return self.r("delivery.steadyPerSecond")

    def latency(self, q):
        """Delivery latency of the subscribers that read (stalled ones are left out by the load generator)."""
        return self.r("delivery.latency." + q)

    @property
    def lossless(self):
        missing, gaps = self.r("delivery.missing"), self.r("delivery.gaps")
        if missing is None:
            return None
        return missing == 0 and gaps == 0 and (self.r("delivery.duplicates") or 0) == 0

    @property
    def stalled(self):
        return self.r("stalled.subscribers")

    @property
    def stalled_cut(self):
        return self.r("stalled.cutByServer")

    def storm(self, key):
        return self.r("resumeStorm." + key)

    @property
    def storm_exact(self):
        """Every healthy subscriber resumed and got exactly the BACK following events."""
        failed, timed_out = self.storm("failed"), self.storm("timedOut")
        return None if failed is None else failed == 0 and not timed_out

    # Figures of the sampler: server memory and CPU, both servers alike.
    def _t(self, phase):
        return self.phases.get(phase)

    @property
    def rss_before(self):
        """RSS before the first connect; none when the sampler's first sample came too late for that."""
        connecting = self._t("connecting")
        if not self.samples or connecting is None or self.samples[0]["t"] > connecting:
            return None
        return self.samples[0]["server"]["rssKiB"]

    @property
    def rss_idle(self):
        """RSS at the end of the settle time: all subscribers connected, nothing published yet."""
        connected = self._t("connected")
        if connected is None or not self.samples:
            return None
        settle = setting(self.meta["benchArgs"], "--settle", 5)
        until = self._t("publishing") or connected + settle
        inside = [s for s in self.samples if connected <= s["t"] <= until]
        return inside[-1]["server"]["rssKiB"] if inside else None

    @property
    def rss_peak(self):
        return max((s["server"]["rssKiB"] for s in self.samples), default=None)

    @property
    def bytes_per_connection(self):
        before, idle, n = self.rss_before, self.rss_idle, self.subscribers
        if None in (before, idle) or not n:
            return None
        return (idle - before) * 1024.0 / n

    def cpu(self, who="server"):
        """% of one core over the publish window, from the samples."""
        start, window = self._t("publishing"), self.r("publish.windowSeconds")
        if start is None or not window:
            return None
        a, b = cpu_at(self.samples, who, start), cpu_at(self.samples, who, start + window)
        return None if None in (a, b) else (b - a) / window * 100


def load_json(path):
    try:
        return json.load(open(path))
    except (OSError, ValueError):
        return None


def load_lines(path):
    try:
        return [json.loads(line) for line in open(path) if line.strip()]
    except (OSError, ValueError):
        return []


def phases(path):
    """Unix time of the bench's progress lines: connecting, connected, publishing, delivered, …"""
    found = {}
    try:
        for line in open(path):
            stamp, _, text = line.partition(" ")
            m = re.match(r"bench: (\w+)", text)
            if m and m.group(1) not in found:
                found[m.group(1)] = float(stamp)
    except (OSError, ValueError):
        pass
    return found


def cpu_at(samples, who, t):
    """CPU seconds of a process group at time t, interpolated between the two samples around it."""
    points = [(s["t"], s[who]["cpuSeconds"]) for s in samples if s.get(who)]
    for (t0, c0), (t1, c1) in zip(points, points[1:]):
        if t0 <= t <= t1:
            return c0 + (c1 - c0) * (t - t0) / (t1 - t0) if t1 > t0 else c0
    return None


def setting(args, flag, default):
    return float(args[args.index(flag) + 1]) if flag in args else default


def load_runs(folder):
    return [Run(p) for p in sorted(glob.glob(os.path.join(folder, "*.meta.json")))]


# Formatting.
def num(x, digits=0):
    if x is None:
        return "-"
    if isinstance(x, bool):
        return "yes" if x else "no"
    return "{:,.{}f}".format(x, digits)


def ms(x):
    return "-" if x is None else ("%.1f" % x if x < 100 else "%.0f" % x)


def ratio(h, n):
    if h is None or n is None or n == 0:
        return "-"
    return "%.2f×" % (h / n)


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(out)


def by_point(runs, scenario):
    """{point: {server: run}} in the order the points ran."""
    points = {}
    for run in runs:
        if run.scenario == scenario:
            points.setdefault(run.point, {})[run.server] = run
    return points


def cell(run, fn):
    if run is None:
        return "-"
    if not run.ok:
        return "failed"
    return fn(run)


def side_by_side(points, columns):
    """columns: (label, fn(run) -> value, format(value) -> text, with_ratio)."""
    header = ["point"]
    for label, _, _, with_ratio in columns:
        header += ["%s Herald" % label, "%s nchan" % label] + (["Herald/nchan"] if with_ratio else [])
    rows = []
    for point, servers in points.items():
        row = [point]
        for _, fn, fmt, with_ratio in columns:
            h, n = servers.get("herald"), servers.get("nchan")
            row += [cell(h, lambda r: fmt(fn(r))), cell(n, lambda r: fmt(fn(r)))]
            if with_ratio:
                hv = fn(h) if h and h.ok else None
                nv = fn(n) if n and n.ok else None
                row.append(ratio(hv, nv))
        rows.append(row)
    return table(header, rows)


def lat2(run):
    return "%s / %s" % (ms(run.latency("p50")), ms(run.latency("p99")))


def delivered(run):
    """Loss among the events the server acknowledged, and the publishes it refused (they are not expected)."""
    if run.lossless is None:
        return "-"
    text = "all" if run.lossless else "missing %s, gaps %s" % (num(run.r("delivery.missing")), num(run.r("delivery.gaps")))
    refused = run.r("publish.failed") or 0
    return text + ("; %s publishes failed" % num(refused) if refused else "")


FAN_COLUMNS = [
    ("publish/s", lambda r: r.published, lambda v: num(v, 1), False),
    ("deliveries/s", lambda r: r.deliveries, num, True),
    ("p50 / p99 ms", lambda r: r, lat2, False),
    ("delivered", lambda r: r, delivered, False),
    ("server CPU %", lambda r: r.cpu(), num, False),
]


def holds(run, p99):
    """Published ≥ 95 % of the target rate, lost nothing, p99 within the bound."""
    return (run is not None and run.ok and run.lossless and run.published is not None
            and not run.r("publish.failed") and run.published >= HELD * run.target and run.latency("p99") is not None and run.latency("p99") <= p99)


def best(points, server, p99, value):
    held = [servers[server] for servers in points.values() if holds(servers.get(server), p99)]
    return max((value(r) for r in held), default=None)


def within(run, p99):
    """Lost nothing, no failed publish, p99 within the bound: the rate it achieved counts, even below the offer."""
    return (run is not None and run.ok and run.lossless and run.published is not None
            and not run.r("publish.failed") and run.latency("p99") is not None and run.latency("p99") <= p99)


def best_achieved(points, server, p99, value):
    """The largest `value` over the runs `within` the bound: for the ratio targets, which compare what each
    server achieved (an open-loop publisher with bounded requests in flight is slowed by a slow server)."""
    return max((value(s[server]) for s in points.values() if within(s.get(server), p99)), default=None)


class Verdicts:
    def __init__(self):
        self.lines = []

    def add(self, scenario, target, result, passed):
        mark = {True: "**PASS**", False: "**FAIL**", None: "n/a"}[passed]
        self.lines.append("| %s | %s | %s | %s |" % (scenario, target, result, mark))

    def markdown(self):
        return table(["scenario", "target", "measured", "verdict"], []) + "\n" + "\n".join(self.lines)


def fan1k(runs, verdicts):
    points = by_point(runs, "fan1k")
    if not points:
        return None
    h = next((s.get("herald") for s in points.values() if s.get("herald") and s["herald"].target == FAN1K_RATE), None)
    nchan_best = best(points, "nchan", FAN1K_P99, lambda r: r.target)
    if h is None or not h.ok:
        verdicts.add("fan1k", "%d ev/s to 1k subs, all delivered, p99 ≤ %d ms" % (FAN1K_RATE, FAN1K_P99), "not run", None)
    else:
        verdicts.add("fan1k", "%d ev/s to 1k subs, all delivered, p99 ≤ %d ms (nchan held: %s ev/s)"
                     % (FAN1K_RATE, FAN1K_P99, num(nchan_best)),
                     "%s/s published, %s, p99 %s ms" % (num(h.published, 1), delivered(h), ms(h.latency("p99"))),
                     holds(h, FAN1K_P99))
    return "### fan1k: 1 topic × 1,000 subscribers, open-loop publisher\n\n" + side_by_side(points, FAN_COLUMNS)


def ratio_verdict(verdicts, name, target, h, n, needed, unit):
    if h is None or n is None:
        verdicts.add(name, target, "Herald %s, nchan %s %s" % (num(h), num(n), unit), None)
    else:
        verdicts.add(name, target, "Herald %s, nchan %s %s: %s" % (num(h), num(n), unit, ratio(h, n)), h >= needed * n)


def fan10k(runs, verdicts):
    points = by_point(runs, "fan10k")
    if not points:
        return None
    h, n = (best_achieved(points, s, FAN10K_P99, lambda r: r.deliveries) for s in SERVERS)
    where = {s: best_point(points, s, FAN10K_P99, lambda r: r.deliveries) for s in SERVERS}
    ratio_verdict(verdicts, "fan10k", "the highest deliveries/s with every event delivered at p99 ≤ %d ms: ≥ %.1f× nchan's"
                  % (FAN10K_P99, FAN10K_RATIO), h, n, FAN10K_RATIO,
                  "deliveries/s (Herald at %s, nchan at %s; highest rate run: %s)"
                  % (where["herald"] or "-", where["nchan"] or "-", list(points)[-1]))
    return "### fan10k: 1 topic × 10,000 subscribers\n\n" + side_by_side(points, FAN_COLUMNS)


def best_point(points, server, p99, value):
    """The point of `best_achieved` (None when no run is within the bound)."""
    within_bound = [(value(s[server]), point) for point, s in points.items() if within(s.get(server), p99)]
    return max(within_bound)[1] if within_bound else None


def topics10k(runs, verdicts):
    points = by_point(runs, "topics10k")
    if not points:
        return None
    h, n = (best_achieved(points, s, TOPICS_P99, lambda r: r.published) for s in SERVERS)
    ratio_verdict(verdicts, "topics10k", "≥ %.1f× nchan's rate at p99 ≤ %d ms, nothing lost" % (TOPICS_RATIO, TOPICS_P99),
                  h, n, TOPICS_RATIO, "events/s achieved")
    return ("### topics10k: 10,000 topics × 1 subscriber, 8 publisher connections (points rN) or 32 (rNp32)\n\n"
            + side_by_side(points, FAN_COLUMNS))


def memory(runs, verdicts):
    points = by_point(runs, "memory")
    if not points:
        return None
    columns = [
        ("connected", lambda r: r.subscribers, num, False),
        ("RSS before / idle MiB", lambda r: r, lambda r: "%s / %s" % (mib(r.rss_before), mib(r.rss_idle)), False),
        ("B per conn", lambda r: r.bytes_per_connection, num, True),
    ]
    largest = list(points.values())[-1]
    h, n = (largest.get(s) for s in SERVERS)
    hb = h.bytes_per_connection if h and h.ok else None
    nb = n.bytes_per_connection if n and n.ok else None
    verdicts.add("memory", "≤ %s B per idle connection (at the largest point; 100k cannot run here: fd limit 20,000)"
                 % num(IDLE_BYTES_PER_CONN),
                 "Herald %s B, nchan %s B at %s connections" % (num(hb), num(nb), num(h.subscribers if h and h.ok else None)),
                 None if hb is None else hb <= IDLE_BYTES_PER_CONN)
    return ("### memory: idle subscribers on one topic (server RSS; nchan: both workers)\n\n" + side_by_side(points, columns))


def mib(kib):
    return "-" if kib is None else "%.1f" % (kib / 1024.0)


def publish(runs, verdicts):
    points = by_point(runs, "publish")
    if not points:
        return None
    columns = [
        ("requests/s", lambda r: r.requests_per_second, num, True),
        ("events/s", lambda r: r.events_per_second, num, True),
        ("publish p50 / p99 ms", lambda r: r, lambda r: "%s / %s" % (ms2(r.r("publish.latency.p50")), ms2(r.r("publish.latency.p99"))), False),
        ("failed", lambda r: r.r("publish.failed"), num, False),
        ("server / redis CPU %", lambda r: r, lambda r: "%s / %s" % (num(r.cpu()), num(r.cpu("redis"))), False),
    ]
    singles = [servers for point, servers in points.items() if point.startswith("single")]
    h, n = (max((p[s].events_per_second for p in singles if p.get(s) and p[s].ok), default=None) for s in SERVERS)
    if h is None or n is None:
        verdicts.add("publish", "≥ %.0f× nchan and ≥ %s events/s" % (PUBLISH_RATIO, num(PUBLISH_MIN)), "Herald %s, nchan %s" % (num(h), num(n)), None)
    else:
        verdicts.add("publish", "≥ %.0f× nchan and ≥ %s events/s" % (PUBLISH_RATIO, num(PUBLISH_MIN)),
                     "Herald %s, nchan %s: %s" % (num(h), num(n), ratio(h, n)), h >= PUBLISH_RATIO * n and h >= PUBLISH_MIN)
    b = points.get("batch100", {}).get("herald")
    bv = b.events_per_second if b and b.ok else None
    verdicts.add("publish (batch 100)", "≥ %s events/s" % num(BATCH_MIN), "Herald %s events/s" % num(bv), None if bv is None else bv >= BATCH_MIN)
    return ("### publish: no subscribers, 8 closed-loop publisher connections (single32: 32)\n\n"
            + side_by_side(points, columns))


def ms2(x):
    return "-" if x is None else "%.2f" % x


def slow(runs, verdicts):
    points = by_point(runs, "slow")
    if not points:
        return None
    columns = [
        ("healthy p50 / p99 ms", lambda r: r, lambda r: "%s / %s" % (ms(r.latency("p50")), ms(r.latency("p99"))), False),
        ("delivered", lambda r: r, delivered, False),
        ("stalled cut", lambda r: r, lambda r: "%s of %s" % (num(r.stalled_cut), num(r.stalled)) if r.stalled_cut is not None else "-", False),
        ("RSS idle / peak MiB", lambda r: r, lambda r: "%s / %s" % (mib(r.rss_idle), mib(r.rss_peak)), False),
    ]
    base, stalled = (points.get(p, {}).get("herald") for p in ("healthy", "stalled"))
    if not (base and base.ok and stalled and stalled.ok):
        verdicts.add("slow", "healthy subscribers' p99 unchanged with 10 % stalled; Herald's memory bounded", "not run", None)
    else:
        b99, s99 = base.latency("p99"), stalled.latency("p99")
        # why: unchanged within the noise of one run on a shared box: 25 % or 5 ms, whichever is larger.
        same = None if None in (b99, s99) else s99 <= max(1.25 * b99, b99 + 5)
        buffer_kib = size_kib(stalled.meta.get("serveArgs") or [], "--slow-client-buffer", 4096)
        n_stalled = stalled.stalled or 0
        grown = None if None in (stalled.rss_peak, base.rss_peak) else stalled.rss_peak - base.rss_peak
        bounded = None if grown is None or not n_stalled else grown <= n_stalled * buffer_kib
        verdicts.add("slow", "healthy p99 within 25 %% (or 5 ms) of the run without stalled readers; RSS growth ≤ stalled × %s KiB"
                     % num(buffer_kib),
                     "p99 %s → %s ms; RSS peak %s MiB; %s of %s stalled cut"
                     % (ms(b99), ms(s99), "-" if grown is None else "%+.1f" % (grown / 1024.0),
                        num(stalled.stalled_cut), num(stalled.stalled or None)),
                     None if same is None or bounded is None else same and bounded)
    return "### slow: 10 % of the subscribers never read (1 topic, 100 events/s of 1,000 bytes)\n\n" + side_by_side(points, columns)


def size_kib(args, flag, default):
    if flag not in args:
        return default
    m = re.match(r"(\d+)\s*(KiB|MiB)?$", args[args.index(flag) + 1])
    return int(m.group(1)) * (1024 if m.group(2) == "MiB" else 1) if m else default


def storm(runs, verdicts):
    points = by_point(runs, "storm")
    if not points:
        return None
    def resumed(r):
        if r.storm("resumedOK") is None:
            return "-"
        return "%s of %s" % (num(r.storm("resumedOK")), num(r.storm("attempted") + r.storm("unusable")))
    columns = [
        ("resumed exactly", lambda r: r, resumed, False),
        ("resume p50 / p99 / max ms", lambda r: r, lambda r: " / ".join(ms(r.storm("resumeTime." + q)) for q in ("p50", "p99", "max")), False),
        ("storm s", lambda r: r.storm("seconds"), lambda v: "-" if v is None else "%.2f" % v, True),
        ("gaps / dups / missing", lambda r: r, lambda r: " / ".join(num(r.storm(k)) for k in ("gaps", "duplicates", "missing")), False),
        ("live p99 ms", lambda r: r.latency("p99"), ms, False),
    ]
    h = next((s.get("herald") for s in points.values()), None)
    target = "every subscriber resumed exactly within %d s" % STORM_SECONDS
    if not (h and h.ok and h.storm_exact is not None):
        verdicts.add("storm", target, "not run", None)
    else:
        seconds = h.storm("seconds")
        verdicts.add("storm", target, "%s resumed exactly in %.2f s" % (resumed(h), seconds),
                     h.storm_exact and seconds <= STORM_SECONDS)
    return "### storm: every subscriber reconnects at once with a Last-Event-ID 100 events back\n\n" + side_by_side(points, columns)


def heal(runs, verdicts):
    points = by_point(runs, "heal")
    if not points:
        return None
    columns = FAN_COLUMNS[:2] + [
        ("delivered", lambda r: r, delivered, False),
        ("p50 / p99 / max ms", lambda r: r, lambda r: " / ".join(ms(r.latency(q)) for q in ("p50", "p99", "max")), False),
    ]
    h = next((s.get("herald") for s in points.values()), None)
    verdicts.add("heal", "nothing lost or refused when redis kills the pub/sub connections mid-run",
                 delivered(h) if h and h.ok else "not run",
                 h.lossless and not h.r("publish.failed") if h and h.ok else None)
    return ("### heal: 10,000 topics at 2,000 events/s, redis pub/sub connections killed halfway\n\n"
            + side_by_side(points, columns))


def tokens_point(point):
    """(generations, subscribers per generation, feed) of a tokens point such as g1000s3-stream, or g1000s3-stream-again
    (the run again of a point that missed)."""
    m = re.match(r"g(\d+)s(\d+)-([a-z]+)(-again)?$", point)
    return (int(m.group(1)), int(m.group(2)), m.group(3)) if m else None


def tokens_holds(run):
    """Every token acknowledged, delivered once and in order, none unsent, ≥ 95 % of the offered rate, p99 ≤ 50 ms."""
    return (run is not None and run.ok and run.lossless and not run.r("delivery.outOfOrder") and not run.r("delivery.malformed")
            and not run.r("delivery.streamsEnded") and not run.r("publish.failed") and not run.r("tokens.unsent")
            and run.published is not None and run.target and run.published >= HELD * run.target
            and run.latency("p99") is not None and run.latency("p99") <= TOKENS_P99)


def per_token_us(run, who):
    """CPU of `who` over the publish window per token published, in µs."""
    pct, window, tokens = run.cpu(who), run.r("publish.windowSeconds"), run.r("publish.acknowledged")
    if None in (pct, window) or not tokens:
        return None
    return pct / 100.0 * window / tokens * 1e6


def token_checks(run):
    if run.lossless is None:
        return "-"
    problems = []
    missing = run.r("delivery.missing") or 0
    if missing < 0:
        # why: tokens that were stored and delivered but whose answer never came (a publisher abandoned at the
        # end of the drain) are not expected, so they show as negative missing.
        problems.append("%s delivered unacknowledged" % num(-missing))
    elif missing > 0:
        problems.append("missing %s" % num(missing))
    for key, label in (("gaps", "gaps"), ("duplicates", "dups"), ("outOfOrder", "out of order"),
                       ("streamsEnded", "streams ended")):
        value = run.r("delivery." + key)
        if value:
            problems.append("%s %s" % (label, num(value)))
    for key, label in (("publish.failed", "failed"), ("tokens.unsent", "unsent")):
        value = run.r(key)
        if value:
            problems.append("%s %s" % (label, num(value)))
    return "yes" if not problems else ", ".join(problems)


TOKEN_WAYS = (("herald", "request"), ("herald", "stream"), ("herald", "batch"), ("nchan", "request"))


def tokens(runs, verdicts):
    found = {}
    for run in runs:
        parsed = run.scenario == "tokens" and tokens_point(run.point)
        if parsed:
            n, tabs, feed = parsed
            found.setdefault(tabs, {}).setdefault(n, {}).setdefault((run.server, feed), []).append(run)
    if not found:
        return None
    header = ["N", "fed", "tokens/s offered", "published/s", "requests/s", "delivered/s", "p50 / p99 / max ms", "once, in order",
              "publisher wait p99 ms", "server / redis µs per token", "server / redis / generator CPU %", "holds"]
    parts = []
    for tabs in sorted(found):
        rows, carried, broke = [], {}, {}
        for n in sorted(found[tabs]):
            for way in TOKEN_WAYS:
                tries = found[tabs][n].get(way)
                if not tries:
                    continue
                # why: a point that missed ran again once (bench/run.sh); the one that held, else the last, shows.
                run = next((r for r in tries if tokens_holds(r)), tries[-1])
                label = "%s %s" % (way[0], way[1])
                if len(tries) > 1:
                    label += " (runs: %s)" % ", ".join("held" if tokens_holds(r) else "missed" for r in tries)
                held = tokens_holds(run)
                if held:
                    carried[way] = max(carried.get(way, 0), n)
                elif way not in broke:
                    broke[way] = n
                if not run.ok:
                    rows.append([num(n), label] + ["failed"] * 9 + ["no"])
                    continue
                rows.append([
                    num(n), label, num(run.target), num(run.published), num(run.requests_per_second), num(run.deliveries),
                    " / ".join(ms(run.latency(q)) for q in ("p50", "p99", "max")), token_checks(run),
                    ms(run.r("tokens.wait.p99")),
                    "%s / %s" % (num(per_token_us(run, "server"), 1), num(per_token_us(run, "redis"), 1)),
                    "%s / %s / %s" % (num(run.cpu()), num(run.cpu("redis")), num(run.r("cpu.benchPercent"))),
                    "yes" if held else "no",
                ])
        title = "### tokens: N generations × 40 tokens/s of 4–20 bytes, %d subscriber%s per generation\n\n" % (tabs, "" if tabs == 1 else "s")
        summary_lines = []
        for way in TOKEN_WAYS:
            if any(way in points for points in found[tabs].values()):
                summary_lines.append("- %s %s: %s%s" % (
                    way[0], way[1], "carries %s generations" % num(carried[way]) if way in carried else "held no N that ran",
                    "; first miss at %s" % num(broke[way]) if way in broke else ""))
        parts.append(title + table(header, rows) + "\n\n" + "\n".join(summary_lines))
        nchan = carried.get(("nchan", "request"))
        for feed, needed in (("stream", TOKENS_STREAM_RATIO), ("request", TOKENS_REQUEST_RATIO)):
            h = carried.get(("herald", feed))
            target = "%d sub/gen, Herald fed by %s carries ≥ %.1f× nchan's generations (every token once, in order, p99 ≤ %d ms)" % (
                tabs, "streaming requests" if feed == "stream" else "one request per token", needed, TOKENS_P99)
            if not any(("herald", feed) in points for points in found[tabs].values()):
                verdicts.add("tokens", target, "not run", None)
            elif nchan is None or h is None:
                verdicts.add("tokens", target, "Herald %s, nchan %s generations" % (num(h), num(nchan)), None if nchan is None else False)
            else:
                verdicts.add("tokens", target, "Herald %s, nchan %s generations: %s" % (num(h), num(nchan), ratio(h, nchan)), h >= needed * nchan)
    return "\n\n".join(parts)


def transports(runs, verdicts):
    """Herald alone: fan1k with its subscribers over each transport (points <transport>-r<rate>)."""
    points = by_point(runs, "transports")
    if not points:
        return None
    rows = []
    for point, servers in points.items():
        transport, _, rate = point.rpartition("-r")
        run = servers.get("herald")
        rows.append([transport, rate, cell(run, lambda r: num(r.published, 1)), cell(run, lambda r: num(r.deliveries)),
                     cell(run, lat2), cell(run, delivered), cell(run, lambda r: num(r.cpu())),
                     cell(run, lambda r: num(r.bytes_per_connection))])
    header = ["transport", "ev/s offered", "published/s", "deliveries/s", "p50 / p99 ms", "delivered", "server CPU %",
              "RSS per stream B"]
    return ("### transports: fan1k (1 topic × 1,000 subscribers) with the subscribers over HTTP/1.1, TLS, h2c and h2 "
            "(100 streams a connection); publishes on a plaintext publish port\n\n" + table(header, rows))


SECTIONS = (fan1k, fan10k, topics10k, memory, publish, slow, storm, tokens, heal, transports)


def summary(folder):
    runs = load_runs(folder)
    verdicts = Verdicts()
    parts = ["# Herald vs nchan: %s\n" % os.path.basename(os.path.normpath(folder))]
    machine = os.path.join(folder, "machine.txt")
    if os.path.exists(machine):
        parts.append("```\n" + open(machine).read().rstrip() + "\n```\n")
    sections = [s for s in (section(runs, verdicts) for section in SECTIONS) if s]
    quick = os.path.exists(machine) and "QUICK=1" in open(machine).read()
    parts.append("## Verdicts\n\n" + ("**QUICK=1: a smoke run with reduced sizes; these verdicts say nothing about the "
                                      "targets.**\n\n" if quick else "") + verdicts.markdown() + "\n")
    parts.append("## Side by side\n\nRatios are Herald / nchan. Latency is publish → receive; deliveries/s is the "
                 "steady mean without the first and last second; CPU is % of one core over the publish window "
                 "(nchan: both workers).\n")
    parts += [s + "\n" for s in sections]
    failed = [r for r in runs if r.status == "failed"]
    if failed:
        parts.append("## Not measured\n")
        parts += ["- %s: failed; see %s.log" % (r.name, r.name) for r in failed]
        parts.append("")
    return "\n".join(parts)


def one_line(path):
    d = load_json(path)
    if d is None:
        return "no report in %s" % path
    parts = ["%s/%s connected" % (num(get(d, "connect", "connected")), num(get(d, "connect", "failed")))]
    if get(d, "publish"):
        parts.append("published %s/s" % num(get(d, "publish", "acknowledgedPerSecond"), 1))
    if get(d, "delivery"):
        parts.append("delivered %s/%s, %s/s, p50/p99 %s/%s ms" % (
            num(get(d, "delivery", "delivered")), num(get(d, "delivery", "expected")),
            num(get(d, "delivery", "steadyPerSecond")), ms(get(d, "delivery", "latency", "p50")),
            ms(get(d, "delivery", "latency", "p99"))))
    if get(d, "memory", "rssPerIdleConnectionBytes") is not None:
        parts.append("%s B/idle conn (bench)" % num(get(d, "memory", "rssPerIdleConnectionBytes")))
    return "; ".join(parts)


def soak_growth(path):
    """RSS figures of one soak (a rounds.jsonl of bench/run.sh): before, after round 1 (the baseline: pools
    and buffers a node allocates for its first streams), after 100,000 topics and at the end, and the growth
    per 100,000 topics: the least-squares slope over the rounds after the first."""
    rows = load_lines(path)
    points = [(r["topics"], r["rssKiB"]) for r in rows if r.get("round", 0) >= 1]
    if len(points) < 3:
        return None
    n = len(points)
    mx, my = sum(p[0] for p in points) / n, sum(p[1] for p in points) / n
    sxx = sum((p[0] - mx) ** 2 for p in points)
    slope = sum((p[0] - mx) * (p[1] - my) for p in points) / sxx if sxx else 0.0
    at_100k = next((r["rssKiB"] for r in rows if r["topics"] >= 100000), None)
    last = rows[-1]
    stats = (last.get("stats") or {}).get("perTopicEntries")
    return {"file": os.path.basename(path), "rounds": last["round"], "topics": last["topics"],
            "rssBeforeKiB": rows[0]["rssKiB"], "rssBaselineKiB": points[0][1], "rssAt100kKiB": at_100k,
            "rssEndKiB": last["rssKiB"], "growthKiBPer100k": slope * 100000, "perTopicEntriesAtEnd": stats}


def soak_line(g):
    at = "-" if g["rssAt100kKiB"] is None else "%.1f MiB (%+.1f MiB)" % (g["rssAt100kKiB"] / 1024, (g["rssAt100kKiB"] - g["rssBaselineKiB"]) / 1024)
    return "%s: %d rounds, %s topics; RSS before %.1f MiB, baseline (round 1) %.1f MiB, after 100k topics %s, end %.1f MiB; growth %.2f MiB per 100,000 topics; /stats at the end: %s" % (
        g["file"], g["rounds"], "{:,}".format(g["topics"]), g["rssBeforeKiB"] / 1024, g["rssBaselineKiB"] / 1024, at,
        g["rssEndKiB"] / 1024, g["growthKiBPer100k"] / 1024, json.dumps(g["perTopicEntriesAtEnd"]))


def main(argv):
    if len(argv) == 3 and argv[1] == "--one":
        print(one_line(argv[2]))
        return 0
    if len(argv) == 3 and argv[1] == "--tokens-held":
        base = argv[2][: -len(".json")]
        run = Run(base + ".meta.json") if os.path.exists(base + ".meta.json") else None
        held = tokens_holds(run)
        print("yes" if held else "no")
        return 0 if held else 1
    if len(argv) >= 3 and argv[1] == "--soak":
        for path in argv[2:]:
            g = soak_growth(path)
            print(soak_line(g) if g else "%s: fewer than 3 rounds" % path)
        return 0
    if len(argv) != 2 or not os.path.isdir(argv[1]):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    text = summary(argv[1])
    with open(os.path.join(argv[1], "summary.md"), "w") as f:
        f.write(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
