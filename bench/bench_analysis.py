"""Benchmark of the round-closing statistics (issue 3).

A matrix of 2,000 panellists x 200 items on a 5-point scale (seeded, with
5 % "cannot rate" for summarize_items and complete for kendall_w so that
nobody is dropped). Prints the median of several repeats of:

* ``kendall_w`` and ``summarize_items``;
* ``pingouin.friedman`` on the same matrix (skipped if pingouin is missing);
* one ``numpy.argsort(ratings, axis=1)``;

and the ratios. Targets: kendall_w >= 20x faster than pingouin and within 2x
of one argsort; summarize_items < 100 ms. Run: ``python bench/bench_analysis.py``.
"""

from __future__ import annotations

import pathlib
import statistics
import sys
import time

import numpy as np
import pandas as pd

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from analysis import kendall_w, summarize_items  # noqa: E402

PANELLISTS, ITEMS, REPEATS = 2_000, 200, 15


def median_time(func, repeats=REPEATS):
    func()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    rng = np.random.default_rng(2024)
    complete = rng.integers(1, 6, size=(PANELLISTS, ITEMS)).astype(float)
    with_missing = complete.copy()
    with_missing[rng.random(with_missing.shape) < 0.05] = np.nan

    t_kendall = median_time(lambda: kendall_w(complete))
    t_summary = median_time(lambda: summarize_items(with_missing))
    t_summary_complete = median_time(lambda: summarize_items(complete))
    t_argsort = median_time(lambda: np.argsort(complete, axis=1))

    print(f"matrix: {PANELLISTS} panellists x {ITEMS} items, 5-point scale; median of {REPEATS} runs")
    print(f"numpy.argsort(axis=1)          {t_argsort * 1e3:8.2f} ms")
    print(f"kendall_w                      {t_kendall * 1e3:8.2f} ms   "
          f"= {t_kendall / t_argsort:.2f} x one argsort (target <= 2)")
    try:
        import pingouin
    except ImportError:
        print("pingouin.friedman              (pingouin not installed: skipped)")
        t_pg = None
    else:
        frame = pd.DataFrame(complete)
        t_pg = median_time(lambda: pingouin.friedman(frame), repeats=5)
        print(f"pingouin.friedman              {t_pg * 1e3:8.2f} ms   "
              f"kendall_w is {t_pg / t_kendall:.1f}x faster (target >= 20)")
        res = kendall_w(complete)
        ref = pingouin.friedman(frame)
        print(f"  check: W {res.w:.12f} vs pingouin {ref['W'].iloc[0]:.12f}")
    print(f"summarize_items (5 % missing)  {t_summary * 1e3:8.2f} ms   "
          f"= {t_summary / t_argsort:.2f} x one argsort (target < 100 ms)")
    print(f"summarize_items (complete)     {t_summary_complete * 1e3:8.2f} ms")
    if t_pg is not None:
        print(f"  summarize_items vs pingouin.friedman: {t_pg / t_summary:.1f}x faster")


if __name__ == "__main__":
    main()
