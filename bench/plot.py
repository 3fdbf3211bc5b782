#!/usr/bin/env python3
"""Plots of a bench/run.sh results folder, written into it as PNG:

    deliveries.png  deliveries/s against the offered publish rate, one panel per fan-out size
    latency.png     delivery latency p50 and p99 against the offered publish rate, one panel per scenario
    memory.png      server RSS against idle connections
    soak.png        server RSS against topics churned, one line per soak (files *.rounds.jsonl)

    .build/venv-bench/bin/python bench/plot.py bench-results/<folder>

matplotlib comes from `scripts/install-deps.sh --bench` (pinned, in .build/venv-bench). The figures are
read with bench/report.py's loader, so a plot and the table never disagree.
"""
import glob
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report  # noqa: E402

STYLE = {"herald": dict(color="#d1495b", marker="o", label="Herald"),
         "nchan": dict(color="#00798c", marker="s", label="nchan (2 workers)")}
FAN_OUT = ("fan1k", "fan10k")
RATES = FAN_OUT + ("topics10k",)


def title(runs, scenario):
    """"1 topic × 1,000 subscribers", from what the runs had (QUICK=1 runs smaller sizes)."""
    shapes = {(r.r("settings.topics"), r.r("settings.subscribers")) for r in runs if r.scenario == scenario and r.ok}
    if len(shapes) != 1 or None in next(iter(shapes)):
        return scenario
    topics, subscribers = next(iter(shapes))
    if topics == 1:
        return "1 topic × {:,} subscribers".format(subscribers)
    return "{:,} topics, {:,} subscribers".format(topics, subscribers)


def series(runs, scenario, server, x, y):
    """(xs, ys) of the completed runs of one server in one scenario, sorted by x, where both are known."""
    pairs = [(x(r), y(r)) for r in runs if r.scenario == scenario and r.server == server and r.ok]
    pairs = sorted(p for p in pairs if None not in p)
    return [p[0] for p in pairs], [p[1] for p in pairs]


def panels(count, width=5.2):
    fig, axes = plt.subplots(1, count, figsize=(width * count, 4.2), squeeze=False)
    return fig, axes[0]


def save(fig, folder, name, caption):
    fig.text(0.01, 0.01, caption, fontsize=7, color="#666666")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    path = os.path.join(folder, name)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print("plot.py: wrote %s" % path)


def deliveries(runs, folder, caption):
    present = [(s, title(runs, s)) for s in FAN_OUT if any(r.scenario == s and r.ok for r in runs)]
    if not present:
        return
    fig, axes = panels(len(present))
    for ax, (scenario, heading) in zip(axes, present):
        for server in report.SERVERS:
            xs, ys = series(runs, scenario, server, lambda r: r.target, lambda r: r.deliveries)
            if xs:
                ax.plot(xs, ys, **STYLE[server])
        offered = sorted({(r.target, r.target * r.subscribers) for r in runs
                          if r.scenario == scenario and r.ok and r.target is not None and r.subscribers})
        if offered:
            ax.plot(*zip(*offered), color="#999999", linestyle=":", label="offered × subscribers")
        ax.set(title=heading, xlabel="offered publish rate (events/s)", ylabel="deliveries/s (steady)")
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
        ax.grid(alpha=0.3)
        ax.legend()
    save(fig, folder, "deliveries.png", caption)


def latency(runs, folder, caption):
    present = [(s, title(runs, s)) for s in RATES if any(r.scenario == s and r.ok and r.latency("p99") is not None for r in runs)]
    if not present:
        return
    fig, axes = panels(len(present))
    for ax, (scenario, heading) in zip(axes, present):
        for server in report.SERVERS:
            style = dict(STYLE[server])
            label = style.pop("label")
            for q, line, fill in (("p50", "--", "none"), ("p99", "-", style["color"])):
                xs, ys = series(runs, scenario, server, lambda r: r.target, lambda r, q=q: r.latency(q))
                if xs:
                    ax.plot(xs, ys, linestyle=line, markerfacecolor=fill, label="%s %s" % (label, q), **style)
        if any(r.scenario == scenario and r.point.endswith("p32") for r in runs):
            heading += "\n(points rNp32: 32 publisher connections, others 8)"
        ax.set(title=heading, xlabel="offered publish rate (events/s)", ylabel="delivery latency (ms)", yscale="log")
        ax.set_xlim(left=0)
        plain = matplotlib.ticker.FuncFormatter(lambda v, _: "%g" % v)
        ax.yaxis.set_major_formatter(plain)
        ax.yaxis.set_minor_formatter(plain)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
    save(fig, folder, "latency.png", caption)


def memory(runs, folder, caption):
    if not any(r.scenario == "memory" and r.ok for r in runs):
        return
    fig, axes = panels(1, width=7.5)
    ax = axes[0]
    for server in report.SERVERS:
        xs, ys = series(runs, "memory", server, lambda r: r.subscribers, lambda r: r.rss_idle and r.rss_idle / 1024.0)
        if xs:
            ax.plot(xs, ys, **STYLE[server])
            per = [r.bytes_per_connection for r in runs if r.scenario == "memory" and r.server == server and r.ok
                   and r.subscribers == xs[-1]]
            if per and per[0] is not None:
                ax.annotate("%.1f KB/conn" % (per[0] / 1000), (xs[-1], ys[-1]), textcoords="offset points",
                            xytext=(-70, -14), color=STYLE[server]["color"], fontsize=8)
    ax.set(title="idle subscribers on one topic", xlabel="idle connections (at most 18,000: fd limit 20,000)",
           ylabel="server RSS, MiB (nchan: both workers)")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend()
    save(fig, folder, "memory.png", caption)


def soak(folder, caption):
    """RSS after each round against the topics churned so far, one line per *.rounds.jsonl of the folder."""
    files = sorted(glob.glob(os.path.join(folder, "*.rounds.jsonl")))
    if not files:
        return
    fig, axes = panels(1, width=7.5)
    ax = axes[0]
    for path in files:
        rows = report.load_lines(path)
        label = os.path.basename(path)[: -len(".rounds.jsonl")]
        ax.plot([r["topics"] for r in rows], [r["rssKiB"] / 1024 for r in rows], marker="o", markersize=3, label=label)
    ax.set_xlabel("distinct topics churned (streams opened, reopened and closed on each)")
    ax.set_ylabel("server RSS (MiB)")
    ax.set_ylim(bottom=0)
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: "{:,.0f}".format(x)))
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title("soak: RSS per round")
    save(fig, folder, "soak.png", caption)


def main(argv):
    if len(argv) != 2 or not os.path.isdir(argv[1]):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    folder = argv[1]
    runs = report.load_runs(folder)
    caption = "bench/run.sh %s, loopback, 2 shared cores; load generator: herald bench" % os.path.basename(os.path.normpath(folder))
    if runs:
        for plot in (deliveries, latency, memory):
            plot(runs, folder, caption)
    soak(folder, caption)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
