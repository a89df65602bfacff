"""Median render time of each chart in :mod:`analysis.charts`.

A synthetic round of 100 items (labels of realistic length) over 4 rounds,
rendered as PNG and as SVG.  Run from the repository root::

    python bench/bench_charts.py [--repeat 7] [--items 100] [--rounds 4]

Timings are wall-clock medians after one warm-up call (which fills font
and glyph caches); expect noise on a shared machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from analysis import charts  # noqa: E402

LABELS = [
    "1 Strongly disagree",
    "2 Disagree",
    "3 Neither agree nor disagree",
    "4 Agree",
    "5 Strongly agree",
]


def cases(n_items: int, n_rounds: int) -> dict:
    rng = np.random.default_rng(1000)
    items = [
        f"S{i:03d} Monitoring soil organic carbon stocks on smallholder farms"
        for i in range(n_items)
    ]
    rounds = list(range(1, n_rounds + 1))
    verdicts = list(rng.choice(charts.VERDICTS, n_items))
    agreement = rng.uniform(0, 1, n_items)
    trajectory = rng.uniform(0.3, 1.0, (n_items, n_rounds))
    trajectory[::9, 0] = np.nan
    invited = [60] * n_rounds
    started = [55 - 3 * r for r in range(n_rounds)]
    submitted = [50 - 3 * r for r in range(n_rounds)]
    return {
        "distribution_chart": lambda fmt: charts.distribution_chart(
            [2, 5, 9, 21, 13], labels=LABELS, median=4, q1=3, q3=4, own=2, fmt=fmt),
        "verdicts_chart (agreement)": lambda fmt: charts.verdicts_chart(
            items, verdicts, agreement=agreement, fmt=fmt),
        "verdicts_chart (counts)": lambda fmt: charts.verdicts_chart(
            items, verdicts, fmt=fmt),
        "convergence_chart": lambda fmt: charts.convergence_chart(
            rounds, items, trajectory, threshold=0.7, fmt=fmt),
        "convergence_chart (5 items)": lambda fmt: charts.convergence_chart(
            rounds, items[:5], trajectory[:5], threshold=0.7, fmt=fmt),
        "concordance_chart": lambda fmt: charts.concordance_chart(
            rounds, {"Importance": rng.uniform(0.2, 0.8, n_rounds),
                     "Feasibility": rng.uniform(0.2, 0.8, n_rounds)}, fmt=fmt),
        "participation_chart": lambda fmt: charts.participation_chart(
            rounds, invited, started, submitted, fmt=fmt),
    }


def median_ms(render, fmt: str, repeat: int) -> tuple[float, int]:
    chart = render(fmt)  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        render(fmt)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, len(chart.data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args(argv)

    print(f"{args.items} items, {args.rounds} rounds, median of {args.repeat} runs")
    print(f"{'chart':<30} {'png ms':>8} {'png kB':>8} {'svg ms':>8} {'svg kB':>8}")
    for name, render in cases(args.items, args.rounds).items():
        png_ms, png_size = median_ms(render, "png", args.repeat)
        svg_ms, svg_size = median_ms(render, "svg", args.repeat)
        print(f"{name:<30} {png_ms:8.1f} {png_size / 1024:8.1f} "
              f"{svg_ms:8.1f} {svg_size / 1024:8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
