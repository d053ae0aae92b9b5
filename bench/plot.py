"""bench/latency_memory.png: match latency and serve memory against catalogue size (before and after)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - the backend must be chosen first


def _series(scale: dict[str, Any], *path: str) -> tuple[list[int], list[float]]:
    xs, ys = [], []
    for size in sorted((k for k in scale if k.isdigit()), key=int):
        node: Any = scale[size]
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, (int, float)):
            xs.append(int(size))
            ys.append(float(node))
    return xs, ys


def draw(scale: dict[str, Any], before: dict[str, Any] | None, out: Path) -> None:
    fig, (lat, mem) = plt.subplots(1, 2, figsize=(11, 4.2))
    runs = [("now", scale, "-")] + ([("before", before, "--")] if before else [])
    for label, data, style in runs:
        for q, colour in (("p50", "tab:blue"), ("p95", "tab:orange")):
            xs, ys = _series(data, "latency_ms", "total", q)
            lat.plot(xs, ys, style, marker="o", color=colour, label=f"{q} ({label})")
        xs, ys = _series(data, "serve", "sqlite_w1", "peak_rss_mb")
        mem.plot(xs, ys, style, marker="o", color="tab:green", label=f"serve peak RSS ({label})")
        xs, ys = _series(data, "index_build", "peak_rss_mb")
        mem.plot(xs, ys, style, marker="s", color="tab:gray", label=f"index build peak RSS ({label})")
    lat.axhline(50, color="red", lw=0.8, ls=":", label="target p95 at 10k")
    mem.axhline(2048, color="red", lw=0.8, ls=":", label="target 2 GB at 100k")
    for ax, title, unit in ((lat, "Match latency (in process, warm)", "ms"), (mem, "Memory", "MB")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("programmes in the catalogue")
        ax.set_ylabel(unit)
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
