"""Tests for analysis.charts: valid images, alt text, validation, determinism."""

from __future__ import annotations

import math
import struct
import subprocess
import sys
import textwrap
import threading
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import matplotlib
import numpy as np
import pytest

from analysis import charts
from analysis.charts import (
    Chart,
    concordance_chart,
    convergence_chart,
    distribution_chart,
    participation_chart,
    verdicts_chart,
)

REPO = Path(__file__).resolve().parents[1]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LIKERT = ["1 Strongly disagree", "2 Disagree", "3 Neutral", "4 Agree", "5 Strongly agree"]
# English names a screen reader user hears for each verdict code.
VERDICT_WORDS = {
    "consensus_in": "Consensus to include",
    "consensus_out": "Consensus to exclude",
    "no_consensus": "No consensus",
    "insufficient_n": "Too few responses",
}


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which must come first."""
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def svg_root(data: bytes) -> ET.Element:
    root = ET.fromstring(data)
    assert root.tag in ("svg", "{http://www.w3.org/2000/svg}svg")
    return root


def every_chart(fmt: str) -> dict[str, Chart]:
    items = ["Cover crops", "Agroforestry", "Biochar", "No-till"]
    return {
        "distribution": distribution_chart(
            [1, 2, 3, 5, 1], labels=LIKERT, median=4, q1=3, q3=4, own=2, fmt=fmt),
        "verdicts": verdicts_chart(
            items, ["consensus_in", "no_consensus", "consensus_out", "insufficient_n"],
            agreement=[0.8, 0.5, 0.1, math.nan], fmt=fmt),
        "verdict_counts": verdicts_chart(
            items, ["consensus_in", "no_consensus", "consensus_in", "insufficient_n"],
            fmt=fmt),
        "convergence": convergence_chart(
            [1, 2, 3], items, [[0.5, 0.7, 0.8], [0.4, np.nan, 0.6],
                               [0.2, 0.1, 0.1], [np.nan, 0.5, 0.75]],
            threshold=0.7, fmt=fmt),
        "concordance": concordance_chart(
            [1, 2, 3], {"Importance": [0.3, None, 0.6], "Feasibility": [0.2, 0.25, 0.4]},
            fmt=fmt),
        "participation": participation_chart(
            [1, 2, 3], [40, 40, 38], [36, 33, 30], [34, 30, 27], fmt=fmt),
    }


# --------------------------------------------------------------------------
# Images are valid
# --------------------------------------------------------------------------


def test_png_outputs_are_png_at_least_600_px_wide():
    for key, chart in every_chart("png").items():
        assert chart.fmt == "png" and chart.mimetype == "image/png", key
        width, height = png_size(chart.data)
        assert width >= 600, key
        assert 100 <= height <= 2500, key


def test_svg_outputs_parse_as_svg():
    for key, chart in every_chart("svg").items():
        assert chart.fmt == "svg" and chart.mimetype == "image/svg+xml", key
        root = svg_root(chart.data)
        width = float(root.get("width").removesuffix("pt"))
        assert width * 100 / 72 >= 600, key


def test_chart_is_frozen():
    chart = participation_chart([1], [3], [2], [1])
    with pytest.raises(AttributeError):
        chart.alt = "changed"


def test_item_list_grows_with_items_and_is_capped():
    def height(n):
        labels = [f"Item {i}" for i in range(n)]
        return png_size(verdicts_chart(
            labels, ["no_consensus"] * n, agreement=[0.5] * n).data)[1]

    small, medium, huge = height(3), height(40), height(400)
    assert medium > small + 400  # ~20 px a row
    assert medium <= huge <= 2000


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_empty_inputs_give_no_data_charts(fmt):
    results = [
        distribution_chart([], labels=[], fmt=fmt),
        distribution_chart([0, 0, 0], labels=["1", "2", "3"], fmt=fmt),
        verdicts_chart([], [], fmt=fmt),
        verdicts_chart([], [], agreement=[], fmt=fmt),
        convergence_chart([], [], np.empty((0, 0)), fmt=fmt),
        convergence_chart([1, 2], [], np.empty((0, 2)), fmt=fmt),
        concordance_chart([1, 2], {}, fmt=fmt),
        concordance_chart([], {"Importance": []}, fmt=fmt),
        participation_chart([], [], [], [], fmt=fmt),
    ]
    for chart in results:
        assert "no data" in chart.alt.lower()
        if fmt == "png":
            assert png_size(chart.data)[0] >= 600
        else:
            svg_root(chart.data)


# --------------------------------------------------------------------------
# Alt text: what a screen reader user hears
# --------------------------------------------------------------------------


def test_distribution_alt_gives_n_counts_median_iqr_and_own_answer():
    counts = [0, 3, 2, 7, 4]
    chart = distribution_chart(counts, labels=LIKERT, median=4, q1=3, q3=4.5, own=2)
    alt = chart.alt
    assert f"n = {sum(counts)}" in alt
    for label, count in zip(LIKERT, counts):
        assert f"{label}: {count}" in alt
    assert "Median 4," in alt
    assert "interquartile range 3 to 4.5" in alt
    assert "Your answer: 2 Disagree." in alt
    assert alt.endswith(".")


def test_distribution_alt_omits_what_was_not_given():
    alt = distribution_chart([1, 1, 1], labels=["1 Low", "2 Mid", "3 High"]).alt
    assert "Median" not in alt and "Your answer" not in alt
    assert "n = 3" in alt and "3-point scale" in alt


def test_verdicts_alt_counts_each_verdict():
    verdicts = ["consensus_in"] * 5 + ["consensus_out"] * 2 + ["no_consensus"] * 3
    labels = [f"Item {i}" for i in range(len(verdicts))]
    alt = verdicts_chart(labels, verdicts).alt
    tally = Counter(verdicts)
    assert f"{len(verdicts)} items" in alt
    for code, word in VERDICT_WORDS.items():
        assert f"{word}: {tally[code]}" in alt


def test_verdicts_alt_lists_each_item_with_agreement_when_few():
    labels = ["Cover crops", "Biochar", "Peatland rewetting"]
    alt = verdicts_chart(labels, ["consensus_in", "consensus_out", "insufficient_n"],
                         agreement=[0.85, 0.1, None]).alt
    assert "Cover crops: 85% agreement, consensus to include." in alt
    assert "Biochar: 10% agreement, consensus to exclude." in alt
    assert "Peatland rewetting: agreement not computed, too few responses." in alt


def test_alt_keeps_full_label_while_chart_truncates():
    long_label = "A very long item label " * 5
    alt = verdicts_chart([long_label], ["no_consensus"], agreement=[0.5]).alt
    assert long_label.strip() in alt
    short = charts._truncate(long_label)
    assert len(short) == 40 and short.endswith("\u2026")
    assert charts._truncate("Short") == "Short"


def test_convergence_alt_summarises_each_round():
    agreement = np.array([[0.5, 0.8], [0.9, 0.75], [np.nan, 0.6]])
    alt = convergence_chart([1, 2], ["A", "B", "C"], agreement, threshold=0.7).alt
    # round 1: A and B rated, median 70%, one (B) >= 70%
    assert "Round 1: 2 items rated, median agreement 70%, 1 at or above the 70% threshold." in alt
    # round 2: all three, median 75%, two >= 70%
    assert "Round 2: 3 items rated, median agreement 75%, 2 at or above the 70% threshold." in alt


def test_convergence_many_items_renders():
    rng = np.random.default_rng(1)
    agreement = rng.uniform(0, 1, (30, 4))
    chart = convergence_chart([1, 2, 3, 4], [f"I{i}" for i in range(30)], agreement)
    assert "30 items" in chart.alt
    expected = np.median(agreement[:, 3])
    assert f"Round 4: 30 items rated, median agreement {expected * 100:.0f}%" in chart.alt


def test_concordance_alt_gives_w_per_round_and_gaps():
    alt = concordance_chart([1, 2, 3], {"Importance": [0.312, None, 0.6],
                                        "Feasibility": [0.2, 0.25, float("nan")]}).alt
    assert "2 criteria" in alt
    assert "Importance: round 1 0.31, round 2 not computed, round 3 0.60." in alt
    assert "Feasibility: round 1 0.20, round 2 0.25, round 3 not computed." in alt


def test_participation_alt_gives_counts_and_response_rate():
    alt = participation_chart([1, 2], [40, 0], [30, 0], [20, 0]).alt
    assert "Round 1: 40 invited, 30 started, 20 submitted, response rate 50%." in alt
    assert "Round 2: 0 invited, 0 started, 0 submitted." in alt


def test_translation_function_and_title_override_are_used():
    seen = []

    def tr(message):
        seen.append(message)
        return "\u00ab" + message + "\u00bb"

    for chart in (
        distribution_chart([1, 2], labels=["1", "2"], median=2, own=1, _=tr),
        verdicts_chart(["A"], ["consensus_in"], agreement=[0.9], _=tr),
        convergence_chart([1], ["A"], [[0.4]], threshold=0.5, _=tr),
        concordance_chart([1], {"X": [0.5]}, _=tr),
        participation_chart([1], [2], [2], [1], _=tr),
    ):
        assert chart.alt.startswith("\u00ab\u00ab")  # translated template and title
    assert "Distribution of ratings" in seen and "Your answer" in seen
    assert "Consensus to include" in seen
    alt = verdicts_chart(["A"], ["no_consensus"], title="Round 2 results").alt
    assert alt.startswith("Round 2 results:")


# --------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, argument",
    [
        (lambda: distribution_chart([1, 2], labels=["a", "b", "c"]), "counts"),
        (lambda: distribution_chart([1, -2], labels=["a", "b"]), "counts"),
        (lambda: distribution_chart([1, 1.5], labels=["a", "b"]), "counts"),
        (lambda: distribution_chart([1, 2], labels=["a", "b"], median=3), "median"),
        (lambda: distribution_chart([1, 2], labels=["a", "b"], own=0), "own"),
        (lambda: distribution_chart([1, 2], labels=["a", "b"], q1=1), "q1"),
        (lambda: distribution_chart([1, 2], labels=["a", "b"], fmt="jpg"), "fmt"),
        (lambda: verdicts_chart(["a"], ["consensus_in", "no_consensus"]), "verdicts"),
        (lambda: verdicts_chart(["a"], ["maybe"]), "verdicts"),
        (lambda: verdicts_chart(["a"], ["no_consensus"], agreement=[1.2]), "agreement"),
        (lambda: verdicts_chart(["a"], ["no_consensus"], agreement=[0.1, 0.2]), "agreement"),
        (lambda: verdicts_chart(["a"], ["no_consensus"], fmt="PNG"), "fmt"),
        (lambda: convergence_chart([1, 2], ["a"], [[0.1, 0.2, 0.3]]), "agreement"),
        (lambda: convergence_chart([1, 2], ["a"], [[0.1, -0.2]]), "agreement"),
        (lambda: convergence_chart([1, 2], ["a"], [[0.1, 0.2]], threshold=70), "threshold"),
        (lambda: convergence_chart([2, 1], ["a"], [[0.1, 0.2]]), "round_numbers"),
        (lambda: concordance_chart([1, 2], {"X": [0.1]}), "w_by_criterion"),
        (lambda: concordance_chart([1], {"X": [1.5]}), "w_by_criterion"),
        (lambda: participation_chart([1], [3, 4], [2], [1]), "invited"),
        (lambda: participation_chart([1], [3], [-1], [0]), "started"),
        (lambda: participation_chart([1], [3], [2], [3]), "submitted"),
        (lambda: participation_chart([1], [3], [2], [1], fmt="gif"), "fmt"),
    ],
)
def test_malformed_input_raises_value_error_naming_argument(call, argument):
    with pytest.raises(ValueError, match=argument):
        call()


# --------------------------------------------------------------------------
# Determinism, globals, thread safety
# --------------------------------------------------------------------------


def test_svg_is_deterministic():
    first, second = every_chart("svg"), every_chart("svg")
    for key in first:
        assert first[key].data == second[key].data, key
    assert b"<dc:date>" not in first["verdicts"].data


def test_png_is_deterministic_and_has_no_software_stamp():
    first, second = every_chart("png"), every_chart("png")
    for key in first:
        assert first[key].data == second[key].data, key
        assert b"Software" not in first[key].data, key


def test_global_rcparams_untouched():
    before = dict(matplotlib.rcParams)
    every_chart("svg")
    every_chart("png")
    assert dict(matplotlib.rcParams) == before


def test_concurrent_svg_renders_match():
    labels = [f"Item {i}" for i in range(12)]
    verdicts = ["no_consensus"] * 12
    expected = verdicts_chart(labels, verdicts, agreement=[0.5] * 12, fmt="svg").data
    salt_before = matplotlib.rcParams["svg.hashsalt"]
    results, errors = [], []

    def work():
        try:
            for _ in range(3):
                results.append(verdicts_chart(
                    labels, verdicts, agreement=[0.5] * 12, fmt="svg").data)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(results) == 12 and all(r == expected for r in results)
    assert matplotlib.rcParams["svg.hashsalt"] == salt_before


def test_pyplot_is_never_imported():
    code = textwrap.dedent(
        """
        import sys
        from analysis import charts
        charts.distribution_chart([1, 2, 3], labels=["1", "2", "3"], median=2, own=1)
        charts.verdicts_chart(["a", "b"], ["consensus_in", "no_consensus"],
                              agreement=[0.9, 0.4], fmt="svg")
        charts.verdicts_chart(["a"], ["consensus_in"])
        charts.convergence_chart([1, 2], ["a"], [[0.4, 0.8]], threshold=0.7)
        charts.concordance_chart([1, 2], {"x": [0.2, None]}, fmt="svg")
        charts.participation_chart([1], [3], [2], [1])
        charts.verdicts_chart([], [])
        assert "matplotlib.pyplot" not in sys.modules, "pyplot was imported"
        print("ok")
        """
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


# --------------------------------------------------------------------------
# Alt text without drawing (*_alt)
# --------------------------------------------------------------------------

ITEMS = ["Cover crops", "Agroforestry", "Biochar", "No-till"]
# (name, args, kwargs): each drawn with ``<name>_chart`` and described with ``<name>_alt``.
ALT_CASES = [
    ("distribution", ([1, 2, 3, 5, 1],), dict(labels=LIKERT, median=4, q1=3, q3=4, own=2)),
    ("distribution", ([1, 2, 3],), dict(labels=["1 Low", "2 Mid", "3 High"], median=2)),
    ("distribution", ([0, 0, 0],), dict(labels=["1 Low", "2 Mid", "3 High"])),
    ("verdicts", (ITEMS, ["consensus_in", "no_consensus", "consensus_out", "insufficient_n"]),
     dict(agreement=[0.8, 0.5, 0.1, math.nan])),
    ("verdicts", ([f"Item {i}" for i in range(20)], ["no_consensus"] * 20),
     dict(agreement=[i / 20 for i in range(20)], title="Verdicts (importance)")),
    ("verdicts", (ITEMS, ["consensus_in", "no_consensus", "consensus_in", "insufficient_n"]), {}),
    ("verdicts", ([], []), {}),
    ("convergence", ([1, 2, 3], ITEMS, [[0.5, 0.7, 0.8], [0.4, np.nan, 0.6],
                                        [0.2, 0.1, 0.1], [np.nan, 0.5, 0.75]]),
     dict(threshold=0.7)),
    ("convergence", ([1, 2], [f"I{i}" for i in range(12)],
                     np.linspace(0, 1, 24).reshape(12, 2)), {}),
    ("convergence", ([1], ["A"], [[np.nan]]), {}),
    ("concordance", ([1, 2, 3], {"Importance": [0.3, None, 0.6],
                                 "Feasibility": [0.2, 0.25, 0.4]}), {}),
    ("concordance", ([1], {}), {}),
    ("participation", ([1, 2, 3], [40, 40, 38], [36, 33, 30], [34, 30, 27]), {}),
    ("participation", ([1, 2], [40, 0], [30, 0], [20, 0]), dict(title="Flow")),
    ("participation", ([], [], [], []), {}),
]


@pytest.mark.parametrize("name, args, kwargs", ALT_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(ALT_CASES)])
@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_alt_function_gives_exactly_the_alt_of_the_drawn_chart(name, args, kwargs, fmt):
    def french(message):  # a translation that changes every template
        return "\u00ab" + message + "\u00bb"

    for translate in ({}, {"_": french}):
        chart = getattr(charts, f"{name}_chart")(*args, fmt=fmt, **kwargs, **translate)
        alt = getattr(charts, f"{name}_alt")(*args, fmt=fmt, **kwargs, **translate)
        assert isinstance(alt, str) and len(alt) > 10
        assert alt == chart.alt


def test_alt_functions_do_not_draw(monkeypatch):
    def no_drawing(*args, **kwargs):
        raise AssertionError("an alt function drew a figure")

    monkeypatch.setattr(charts, "_figure", no_drawing)
    monkeypatch.setattr(charts, "_render", no_drawing)
    alts = [getattr(charts, f"{name}_alt")(*args, **kwargs) for name, args, kwargs in ALT_CASES]
    assert "n = 12" in alts[0] and "no data" in alts[2].lower()
    with pytest.raises(AssertionError, match="drew"):
        charts.participation_chart([1], [3], [2], [1])


@pytest.mark.parametrize(
    "call, argument",
    [
        (lambda: charts.distribution_alt([1, 2], labels=["a", "b"], median=3), "median"),
        (lambda: charts.distribution_alt([1, 2], labels=["a", "b"], fmt="jpg"), "fmt"),
        (lambda: charts.verdicts_alt(["a"], ["maybe"]), "verdicts"),
        (lambda: charts.convergence_alt([2, 1], ["a"], [[0.1, 0.2]]), "round_numbers"),
        (lambda: charts.concordance_alt([1], {"X": [1.5]}), "w_by_criterion"),
        (lambda: charts.participation_alt([1], [3], [2], [3]), "submitted"),
    ],
)
def test_alt_functions_validate_like_the_charts(call, argument):
    with pytest.raises(ValueError, match=argument):
        call()


def test_alt_texts_need_no_matplotlib():
    """A page that only shows alt texts does not import matplotlib; drawing does."""
    code = textwrap.dedent(
        """
        import sys
        from analysis import charts
        charts.distribution_alt([1, 2, 3], labels=["1", "2", "3"], median=2, own=1)
        charts.verdicts_alt(["a", "b"], ["consensus_in", "no_consensus"], agreement=[0.9, 0.4])
        charts.convergence_alt([1, 2], ["a"], [[0.4, 0.8]], threshold=0.7)
        charts.concordance_alt([1, 2], {"x": [0.2, None]})
        charts.participation_alt([1], [3], [2], [1])
        assert "matplotlib" not in sys.modules, "matplotlib was imported"
        charts.participation_chart([1], [3], [2], [1])
        assert "matplotlib" in sys.modules
        print("ok")
        """
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
