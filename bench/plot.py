#!/usr/bin/env python3
"""Plots of a bench/run.sh results folder, written into it as PNG:

    deliveries.png  deliveries/s against the offered publish rate, one panel per fan-out size
    latency.png     delivery latency p50 and p99 against the publish rate, one panel per scenario
    memory.png      server RSS against idle connections

    .build/venv-bench/bin/python bench/plot.py bench-results/<folder>

matplotlib comes from `scripts/install-deps.sh --bench` (pinned, in .build/venv-bench). The figures are
read with bench/report.py's loader, so a plot and the table never disagree.
"""
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report  # noqa: E402

STYLE = {"herald": dict(color="#d1495b", marker="o", label="Herald"),
         "nchan": dict(color="#00798c", marker="s", label="nchan (2 workers)")}
FAN_OUT = (("fan1k", "1 topic × 1,000 subscribers"), ("fan10k", "1 topic × 10,000 subscribers"))
RATES = FAN_OUT + (("topics10k", "10,000 topics × 1 subscriber"),)


def series(runs, scenario, server, x, y):
    """(xs, ys) of the completed runs of one server in one scenario, sorted by x, where both are known."""
    pairs = [(x(r), y(r)) for r in runs if r.scenario == scenario and r.server == server and r.ok]
    pairs = sorted(p for p in pairs if None not in p)
    return [p[0] for p in pairs], [p[1] for p in pairs]


def panels(count):
    fig, axes = plt.subplots(1, count, figsize=(5.2 * count, 4.2), squeeze=False)
    return fig, axes[0]


def save(fig, folder, name, caption):
    fig.text(0.01, 0.01, caption, fontsize=7, color="#666666")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    path = os.path.join(folder, name)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print("plot.py: wrote %s" % path)


def deliveries(runs, folder, caption):
    present = [(s, t) for s, t in FAN_OUT if any(r.scenario == s and r.ok for r in runs)]
    if not present:
        return
    fig, axes = panels(len(present))
    for ax, (scenario, title) in zip(axes, present):
        for server in report.SERVERS:
            xs, ys = series(runs, scenario, server, lambda r: r.target, lambda r: r.deliveries)
            if xs:
                ax.plot(xs, ys, **STYLE[server])
        offered = sorted({(r.target, r.target * r.subscribers) for r in runs
                          if r.scenario == scenario and r.ok and r.target is not None and r.subscribers})
        if offered:
            ax.plot(*zip(*offered), color="#999999", linestyle=":", label="offered × subscribers")
        ax.set(title=title, xlabel="offered publish rate (events/s)", ylabel="deliveries/s (steady)")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend()
    save(fig, folder, "deliveries.png", caption)


def latency(runs, folder, caption):
    present = [(s, t) for s, t in RATES if any(r.scenario == s and r.ok and r.latency("p99") is not None for r in runs)]
    if not present:
        return
    fig, axes = panels(len(present))
    for ax, (scenario, title) in zip(axes, present):
        for server in report.SERVERS:
            style = dict(STYLE[server])
            label = style.pop("label")
            for q, line in (("p50", "--"), ("p99", "-")):
                xs, ys = series(runs, scenario, server, lambda r: r.published, lambda r, q=q: r.latency(q))
                if xs:
                    ax.plot(xs, ys, linestyle=line, label="%s %s" % (label, q), **style)
        ax.set(title=title, xlabel="publish rate achieved (events/s)", ylabel="delivery latency (ms)", yscale="log")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
    save(fig, folder, "latency.png", caption)


def memory(runs, folder, caption):
    if not any(r.scenario == "memory" and r.ok for r in runs):
        return
    fig, axes = panels(1)
    ax = axes[0]
    for server in report.SERVERS:
        xs, ys = series(runs, "memory", server, lambda r: r.subscribers, lambda r: r.rss_idle and r.rss_idle / 1024.0)
        if xs:
            ax.plot(xs, ys, **STYLE[server])
            per = [r.bytes_per_connection for r in runs if r.scenario == "memory" and r.server == server and r.ok
                   and r.subscribers == xs[-1]]
            if per and per[0] is not None:
                ax.annotate("%.1f KB/conn" % (per[0] / 1000), (xs[-1], ys[-1]), textcoords="offset points",
                            xytext=(-60, 8), color=STYLE[server]["color"], fontsize=8)
    ax.set(title="idle subscribers on one topic", xlabel="idle connections", ylabel="server RSS (MiB; nchan: both workers)")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend()
    save(fig, folder, "memory.png", caption)


def main(argv):
    if len(argv) != 2 or not os.path.isdir(argv[1]):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    folder = argv[1]
    runs = report.load_runs(folder)
    caption = "bench/run.sh %s, loopback, 2 shared cores; load generator: herald bench" % os.path.basename(os.path.normpath(folder))
    for plot in (deliveries, latency, memory):
        plot(runs, folder, caption)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
