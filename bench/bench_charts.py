"""Median time of each chart of :mod:`analysis.charts`: its alt text, and its drawing.

A synthetic round of 100 items (labels of realistic length) over 4 rounds,
rendered as PNG and as SVG.  Run from the repository root::

    python bench/bench_charts.py [--repeat 7] [--items 100] [--rounds 4]

Each time runs from the inputs: "alt ms" builds a chart's spec (which
validates them) and reads its ``alt``, which draws nothing; "png ms" and
"svg ms" build it and draw it (``spec.render(fmt)``).  Timings are wall-clock medians
after one warm-up call (which fills font and glyph caches); expect noise on
a shared machine.
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
    w = {"Importance": rng.uniform(0.2, 0.8, n_rounds),
         "Feasibility": rng.uniform(0.2, 0.8, n_rounds)}
    return {
        "distribution": lambda: charts.DistributionChart.from_counts(
            [2, 5, 9, 21, 13], labels=LABELS, median=4, q1=3, q3=4, own=2),
        "verdicts (agreement)": lambda: charts.VerdictsChart.from_verdicts(
            items, verdicts, agreement=agreement),
        "verdicts (counts)": lambda: charts.VerdictsChart.from_verdicts(items, verdicts),
        "convergence": lambda: charts.ConvergenceChart.from_agreement(
            rounds, items, trajectory, threshold=0.7),
        "convergence (5 items)": lambda: charts.ConvergenceChart.from_agreement(
            rounds, items[:5], trajectory[:5], threshold=0.7),
        "concordance": lambda: charts.ConcordanceChart.from_w(rounds, w),
        "participation": lambda: charts.ParticipationChart.from_counts(
            rounds, invited, started, submitted),
    }


def median_ms(work, repeat: int):
    """The median wall-clock time of *work* in ms, and what it returned."""
    result = work()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args(argv)

    print(f"{args.items} items, {args.rounds} rounds, median of {args.repeat} runs")
    print(f"{'chart':<24} {'alt ms':>8} {'png ms':>8} {'png kB':>8} {'svg ms':>8} {'svg kB':>8}")
    for name, build in cases(args.items, args.rounds).items():
        # From the inputs: validate and build the spec, then read its alt or draw.
        alt_ms, _alt = median_ms(lambda build=build: build().alt, args.repeat)
        png_ms, png = median_ms(lambda build=build: build().render("png"), args.repeat)
        svg_ms, svg = median_ms(lambda build=build: build().render("svg"), args.repeat)
        print(f"{name:<24} {alt_ms:8.2f} {png_ms:8.1f} {len(png.data) / 1024:8.1f} "
              f"{svg_ms:8.1f} {len(svg.data) / 1024:8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
