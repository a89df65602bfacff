"""Tests for analysis.charts: one spec per chart gives its alt text and its
image; valid images, what the alt text says, validation, determinism."""

from __future__ import annotations

import dataclasses
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

from analysis.charts import (
    Chart,
    ChartSpec,
    ConcordanceChart,
    ConvergenceChart,
    DistributionChart,
    ParticipationChart,
    VerdictsChart,
    common,
)

REPO = Path(__file__).resolve().parents[1]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LIKERT = ["1 Strongly disagree", "2 Disagree", "3 Neutral", "4 Agree", "5 Strongly agree"]
ITEMS = ["Cover crops", "Agroforestry", "Biochar", "No-till"]
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


def french(message: str) -> str:
    """A translation that changes every template."""
    return "\u00ab" + message + "\u00bb"


def every_spec() -> dict[str, ChartSpec]:
    return {
        "distribution": DistributionChart.from_counts(
            [1, 2, 3, 5, 1], labels=LIKERT, median=4, q1=3, q3=4, own=2),
        "verdicts": VerdictsChart.from_verdicts(
            ITEMS, ["consensus_in", "no_consensus", "consensus_out", "insufficient_n"],
            agreement=[0.8, 0.5, 0.1, math.nan]),
        "verdict_counts": VerdictsChart.from_verdicts(
            ITEMS, ["consensus_in", "no_consensus", "consensus_in", "insufficient_n"]),
        "convergence": ConvergenceChart.from_agreement(
            [1, 2, 3], ITEMS, [[0.5, 0.7, 0.8], [0.4, np.nan, 0.6],
                               [0.2, 0.1, 0.1], [np.nan, 0.5, 0.75]],
            threshold=0.7),
        "concordance": ConcordanceChart.from_w(
            [1, 2, 3], {"Importance": [0.3, None, 0.6], "Feasibility": [0.2, 0.25, 0.4]}),
        "participation": ParticipationChart.from_counts(
            [1, 2, 3], [40, 40, 38], [36, 33, 30], [34, 30, 27]),
    }


def every_chart(fmt: str) -> dict[str, Chart]:
    return {key: spec.render(fmt) for key, spec in every_spec().items()}


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


def test_render_defaults_to_png():
    chart = ParticipationChart.from_counts([1], [3], [2], [1]).render()
    assert chart.fmt == "png" and chart.data.startswith(PNG_SIGNATURE)


def test_chart_is_frozen():
    chart = ParticipationChart.from_counts([1], [3], [2], [1]).render()
    with pytest.raises(AttributeError):
        chart.alt = "changed"


def test_item_list_grows_with_items_and_is_capped():
    def height(n):
        labels = [f"Item {i}" for i in range(n)]
        return png_size(VerdictsChart.from_verdicts(
            labels, ["no_consensus"] * n, agreement=[0.5] * n).render().data)[1]

    small, medium, huge = height(3), height(40), height(400)
    assert medium > small + 400  # ~20 px a row
    assert medium <= huge <= 2000


EMPTY = [
    lambda: DistributionChart.from_counts([], labels=[]),
    lambda: DistributionChart.from_counts([0, 0, 0], labels=["1", "2", "3"]),
    lambda: VerdictsChart.from_verdicts([], []),
    lambda: VerdictsChart.from_verdicts([], [], agreement=[]),
    lambda: ConvergenceChart.from_agreement([], [], np.empty((0, 0))),
    lambda: ConvergenceChart.from_agreement([1, 2], [], np.empty((0, 2))),
    lambda: ConvergenceChart.from_agreement([1], ["A"], [[None]]),
    lambda: ConcordanceChart.from_w([1, 2], {}),
    lambda: ConcordanceChart.from_w([], {"Importance": []}),
    lambda: ParticipationChart.from_counts([], [], [], []),
]


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_empty_inputs_give_no_data_charts(fmt):
    for build in EMPTY:
        spec = build()
        assert not spec.has_data
        assert spec.alt == f"{spec.title}: no data to show yet."
        chart = spec.render(fmt)
        assert chart.alt == spec.alt
        if fmt == "png":
            assert png_size(chart.data)[0] >= 600
        else:
            svg_root(chart.data)


# --------------------------------------------------------------------------
# Alt text: what a screen reader user hears, with the numbers the spec holds
# --------------------------------------------------------------------------


def test_distribution_alt_gives_n_counts_median_iqr_and_own_answer():
    counts = [0, 3, 2, 7, 4]
    spec = DistributionChart.from_counts(counts, labels=LIKERT, median=4, q1=3, q3=4.5, own=2)
    alt = spec.alt
    assert spec.n == sum(counts) and f"n = {sum(counts)}" in alt
    for label, count in zip(LIKERT, counts):
        assert f"{label}: {count}" in alt
    assert "Median 4," in alt
    assert "interquartile range 3 to 4.5" in alt
    assert "Your answer: 2 Disagree." in alt
    assert alt.endswith(".")


def test_distribution_alt_omits_what_was_not_given():
    alt = DistributionChart.from_counts([1, 1, 1], labels=["1 Low", "2 Mid", "3 High"]).alt
    assert "Median" not in alt and "Your answer" not in alt
    assert "n = 3" in alt and "3-point scale" in alt


def test_verdicts_alt_counts_each_verdict():
    verdicts = ["consensus_in"] * 5 + ["consensus_out"] * 2 + ["no_consensus"] * 3
    labels = [f"Item {i}" for i in range(len(verdicts))]
    spec = VerdictsChart.from_verdicts(labels, verdicts)
    tally = Counter(verdicts)
    assert spec.tally == {code: tally[code] for code in VERDICT_WORDS}
    assert f"{len(verdicts)} items" in spec.alt
    for code, word in VERDICT_WORDS.items():
        assert f"{word}: {tally[code]}" in spec.alt


def test_verdicts_alt_lists_each_item_with_agreement_when_few():
    labels = ["Cover crops", "Biochar", "Peatland rewetting"]
    alt = VerdictsChart.from_verdicts(labels, ["consensus_in", "consensus_out", "insufficient_n"],
                                      agreement=[0.85, 0.1, None]).alt
    assert "Cover crops: 85% agreement, consensus to include." in alt
    assert "Biochar: 10% agreement, consensus to exclude." in alt
    assert "Peatland rewetting: agreement not computed, too few responses." in alt


def test_verdicts_alt_summarises_beyond_twelve_items():
    labels = [f"Item {i}" for i in range(13)]
    alt = VerdictsChart.from_verdicts(labels, ["no_consensus"] * 13, agreement=[0.5] * 13).alt
    assert alt == "Verdicts by item: 13 items. Consensus to include: 0; " \
                  "Consensus to exclude: 0; No consensus: 13; Too few responses: 0."


def test_alt_keeps_full_label_while_chart_truncates():
    long_label = "A very long item label " * 5
    alt = VerdictsChart.from_verdicts([long_label], ["no_consensus"], agreement=[0.5]).alt
    assert long_label.strip() in alt
    short = common.truncate(long_label)
    assert len(short) == 40 and short.endswith("\u2026")
    assert common.truncate("Short") == "Short"


def test_convergence_alt_summarises_each_round():
    agreement = np.array([[0.5, 0.8], [0.9, 0.75], [np.nan, 0.6]])
    spec = ConvergenceChart.from_agreement([1, 2], ["A", "B", "C"], agreement, threshold=0.7)
    np.testing.assert_allclose(spec.medians(), [0.7, 0.75])
    # round 1: A and B rated, median 70%, one (B) >= 70%
    assert ("Round 1: 2 items rated, median agreement 70%, 1 at or above the 70% threshold."
            in spec.alt)
    # round 2: all three, median 75%, two >= 70%
    assert ("Round 2: 3 items rated, median agreement 75%, 2 at or above the 70% threshold."
            in spec.alt)


def test_convergence_many_items_renders():
    rng = np.random.default_rng(1)
    agreement = rng.uniform(0, 1, (30, 4))
    spec = ConvergenceChart.from_agreement([1, 2, 3, 4], [f"I{i}" for i in range(30)], agreement)
    chart = spec.render()
    assert "30 items" in chart.alt
    expected = np.median(agreement[:, 3])
    assert f"Round 4: 30 items rated, median agreement {expected * 100:.0f}%" in chart.alt


def test_concordance_alt_gives_w_per_round_and_gaps():
    alt = ConcordanceChart.from_w([1, 2, 3], {"Importance": [0.312, None, 0.6],
                                              "Feasibility": [0.2, 0.25, float("nan")]}).alt
    assert "2 criteria" in alt
    assert "Importance: round 1 0.31, round 2 not computed, round 3 0.60." in alt
    assert "Feasibility: round 1 0.20, round 2 0.25, round 3 not computed." in alt


def test_participation_alt_gives_counts_and_response_rate():
    spec = ParticipationChart.from_counts([1, 2], [40, 0], [30, 0], [20, 0])
    assert spec.rates()[0] == 0.5 and math.isnan(spec.rates()[1])
    assert "Round 1: 40 invited, 30 started, 20 submitted, response rate 50%." in spec.alt
    assert "Round 2: 0 invited, 0 started, 0 submitted." in spec.alt


def test_translation_function_and_title_override_are_used():
    seen = []

    def tr(message):
        seen.append(message)
        return "\u00ab" + message + "\u00bb"

    for spec in (
        DistributionChart.from_counts([1, 2], labels=["1", "2"], median=2, own=1, _=tr),
        VerdictsChart.from_verdicts(["A"], ["consensus_in"], agreement=[0.9], _=tr),
        ConvergenceChart.from_agreement([1], ["A"], [[0.4]], threshold=0.5, _=tr),
        ConcordanceChart.from_w([1], {"X": [0.5]}, _=tr),
        ParticipationChart.from_counts([1], [2], [2], [1], _=tr),
    ):
        assert spec.alt.startswith("\u00ab\u00ab")  # translated template and title
    assert "Distribution of ratings" in seen and "Your answer: {answer}." in seen
    assert "Consensus to include" in seen
    # Drawing translates the figure's own strings with the same function.
    seen.clear()
    DistributionChart.from_counts([1, 2], labels=["1", "2"], own=1, _=tr).render("svg")
    ParticipationChart.from_counts([1], [2], [2], [1], _=tr).render("svg")
    assert {"Your answer", "Number of panellists", "Invited", "Submitted"} <= set(seen)
    alt = VerdictsChart.from_verdicts(["A"], ["no_consensus"], title="Round 2 results").alt
    assert alt.startswith("Round 2 results:")


# --------------------------------------------------------------------------
# Validation: when the spec is built, before anything is drawn
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "build, argument",
    [
        (lambda: DistributionChart.from_counts([1, 2], labels=["a", "b", "c"]), "counts"),
        (lambda: DistributionChart.from_counts([1, -2], labels=["a", "b"]), "counts"),
        (lambda: DistributionChart.from_counts([1, 1.5], labels=["a", "b"]), "counts"),
        (lambda: DistributionChart.from_counts("12", labels=["a", "b"]), "counts"),
        (lambda: DistributionChart.from_counts([1, 2], labels="ab"), "labels"),
        (lambda: DistributionChart.from_counts([1, 2], labels=["a", "b"], median=3), "median"),
        (lambda: DistributionChart.from_counts([1, 2], labels=["a", "b"], own=0), "own"),
        (lambda: DistributionChart.from_counts([1, 2], labels=["a", "b"], q1=1), "q1"),
        (lambda: VerdictsChart.from_verdicts(["a"], ["consensus_in", "no_consensus"]),
         "verdicts"),
        (lambda: VerdictsChart.from_verdicts(["a"], ["maybe"]), "verdicts"),
        (lambda: VerdictsChart.from_verdicts(["a"], ["no_consensus"], agreement=[1.2]),
         "agreement"),
        (lambda: VerdictsChart.from_verdicts(["a"], ["no_consensus"], agreement=[0.1, 0.2]),
         "agreement"),
        (lambda: ConvergenceChart.from_agreement([1, 2], ["a"], [[0.1, 0.2, 0.3]]),
         "agreement"),
        (lambda: ConvergenceChart.from_agreement([1, 2], ["a"], [[0.1, -0.2]]), "agreement"),
        (lambda: ConvergenceChart.from_agreement([1, 2], ["a"], [["x", 0.2]]), "agreement"),
        (lambda: ConvergenceChart.from_agreement([1, 2], ["a"], [[0.1, 0.2]], threshold=70),
         "threshold"),
        (lambda: ConvergenceChart.from_agreement([2, 1], ["a"], [[0.1, 0.2]]),
         "round_numbers"),
        (lambda: ConcordanceChart.from_w([1, 2], {"X": [0.1]}), "w_by_criterion"),
        (lambda: ConcordanceChart.from_w([1], {"X": [1.5]}), "w_by_criterion"),
        (lambda: ConcordanceChart.from_w([1], [0.5]), "w_by_criterion"),
        (lambda: ParticipationChart.from_counts([1], [3, 4], [2], [1]), "invited"),
        (lambda: ParticipationChart.from_counts([1], [3], [-1], [0]), "started"),
        (lambda: ParticipationChart.from_counts([1], [3], [2], [3]), "submitted"),
        (lambda: ParticipationChart.from_counts([1.5], [3], [2], [1]), "round_numbers"),
    ],
)
def test_malformed_input_raises_value_error_naming_argument(build, argument):
    with pytest.raises(ValueError, match=argument):
        build()


@pytest.mark.parametrize("fmt", ["jpg", "PNG", "gif", None])
def test_unknown_format_raises_value_error_naming_fmt(fmt):
    for spec in every_spec().values():
        with pytest.raises(ValueError, match="fmt"):
            spec.render(fmt)


# --------------------------------------------------------------------------
# One spec: the alt text without drawing, and the same alt on the image
# --------------------------------------------------------------------------

# Each case builds a spec; its ``alt`` must be its rendered chart's ``alt``.
ALT_CASES = [
    lambda _: DistributionChart.from_counts(
        [1, 2, 3, 5, 1], labels=LIKERT, median=4, q1=3, q3=4, own=2, _=_),
    lambda _: DistributionChart.from_counts(
        [1, 2, 3], labels=["1 Low", "2 Mid", "3 High"], median=2, _=_),
    lambda _: DistributionChart.from_counts(
        [0, 3, 2, 7, 4], labels=LIKERT, q1=3, q3=4.5, title="I01 (importance)", _=_),
    lambda _: DistributionChart.from_counts([0, 0, 0], labels=["1 Low", "2 Mid", "3 High"], _=_),
    lambda _: VerdictsChart.from_verdicts(
        ITEMS, ["consensus_in", "no_consensus", "consensus_out", "insufficient_n"],
        agreement=[0.8, 0.5, 0.1, math.nan], _=_),
    lambda _: VerdictsChart.from_verdicts(
        [f"Item {i}" for i in range(20)], ["no_consensus"] * 20,
        agreement=[i / 20 for i in range(20)], title="Verdicts (importance)", _=_),
    lambda _: VerdictsChart.from_verdicts(
        ITEMS, ["consensus_in", "no_consensus", "consensus_in", "insufficient_n"], _=_),
    lambda _: VerdictsChart.from_verdicts([], [], _=_),
    lambda _: ConvergenceChart.from_agreement(
        [1, 2, 3], ITEMS, [[0.5, 0.7, 0.8], [0.4, np.nan, 0.6],
                           [0.2, 0.1, 0.1], [np.nan, 0.5, 0.75]], threshold=0.7, _=_),
    lambda _: ConvergenceChart.from_agreement(
        [1, 2], [f"I{i}" for i in range(12)], np.linspace(0, 1, 24).reshape(12, 2), _=_),
    lambda _: ConvergenceChart.from_agreement([1], ["A"], [[np.nan]], _=_),
    lambda _: ConcordanceChart.from_w(
        [1, 2, 3], {"Importance": [0.3, None, 0.6], "Feasibility": [0.2, 0.25, 0.4]}, _=_),
    lambda _: ConcordanceChart.from_w([1], {}, _=_),
    lambda _: ParticipationChart.from_counts(
        [1, 2, 3], [40, 40, 38], [36, 33, 30], [34, 30, 27], _=_),
    lambda _: ParticipationChart.from_counts(
        [1, 2], [40, 0], [30, 0], [20, 0], title="Flow", _=_),
    lambda _: ParticipationChart.from_counts([], [], [], [], _=_),
]


@pytest.mark.parametrize("case", range(len(ALT_CASES)))
@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_the_alt_of_a_spec_is_the_alt_of_its_rendered_chart(case, fmt):
    for translate in (common.identity, french):
        spec = ALT_CASES[case](translate)
        alt = spec.alt
        assert isinstance(alt, str) and len(alt) > 10
        assert spec.render(fmt).alt == alt
        # A spec built again from the same inputs says the same.
        assert ALT_CASES[case](translate).alt == alt


def test_reading_the_alt_draws_nothing(monkeypatch):
    def no_matplotlib(name):
        raise AssertionError("drawing reached matplotlib")

    # Every drawing goes through common.mpl(); make it fail.
    monkeypatch.setattr(common, "_MPL", type("NoMatplotlib", (), {
        "__getattr__": lambda self, name: no_matplotlib(name)})())
    alts = [build(common.identity).alt for build in ALT_CASES]
    assert "n = 12" in alts[0] and "no data" in alts[3].lower()
    with pytest.raises(AssertionError, match="matplotlib"):
        ParticipationChart.from_counts([1], [3], [2], [1]).render()


def test_alt_texts_need_no_matplotlib():
    """A page that only shows alt texts does not import matplotlib; drawing does."""
    code = textwrap.dedent(
        """
        import sys
        from analysis import charts
        assert "matplotlib" not in sys.modules, "importing analysis.charts loaded matplotlib"
        specs = [
            charts.DistributionChart.from_counts([1, 2, 3], labels=["1", "2", "3"],
                                                 median=2, own=1),
            charts.VerdictsChart.from_verdicts(["a", "b"], ["consensus_in", "no_consensus"],
                                               agreement=[0.9, 0.4]),
            charts.VerdictsChart.from_verdicts(["a"], ["consensus_in"]),
            charts.ConvergenceChart.from_agreement([1, 2], ["a"], [[0.4, 0.8]], threshold=0.7),
            charts.ConcordanceChart.from_w([1, 2], {"x": [0.2, None]}),
            charts.ParticipationChart.from_counts([1], [3], [2], [1]),
            charts.ParticipationChart.from_counts([], [], [], []),
        ]
        alts = [spec.alt for spec in specs]
        assert "matplotlib" not in sys.modules, "matplotlib was imported"
        assert specs[-2].render("png").alt == alts[-2]
        assert "matplotlib" in sys.modules
        print("ok")
        """
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_a_spec_is_a_value():
    """Frozen, its arrays read-only and its own: changing the caller's input later
    changes neither its alt nor its image."""
    agreement = np.array([[0.5, 0.8], [0.9, 0.75]])
    spec = ConvergenceChart.from_agreement([1, 2], ["A", "B"], agreement, threshold=0.7)
    alt, png = spec.alt, spec.render("png").data
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.threshold = 0.5
    with pytest.raises(ValueError, match="read-only"):
        spec.agreement[0, 0] = 0.1
    assert agreement.flags.writeable  # the caller's array is untouched
    agreement[:] = 0.0
    assert spec.alt == alt and spec.render("png").data == png

    counts = [1, 2, 3]
    dist = DistributionChart.from_counts(counts, labels=["1", "2", "3"])
    counts[0] = 100
    assert dist.n == 6 and "1: 1;" in dist.alt


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


def test_one_spec_rendered_twice_gives_the_same_bytes():
    spec = every_spec()["verdicts"]
    assert spec.render("svg").data == spec.render("svg").data
    assert spec.render("png").data == spec.render("png").data


def test_global_rcparams_untouched():
    before = dict(matplotlib.rcParams)
    every_chart("svg")
    every_chart("png")
    assert dict(matplotlib.rcParams) == before


def test_concurrent_svg_renders_match():
    labels = [f"Item {i}" for i in range(12)]
    spec = VerdictsChart.from_verdicts(labels, ["no_consensus"] * 12, agreement=[0.5] * 12)
    expected = spec.render("svg").data
    salt_before = matplotlib.rcParams["svg.hashsalt"]
    results, errors = [], []

    def work():
        try:
            for _ in range(3):
                results.append(spec.render("svg").data)
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
        charts.DistributionChart.from_counts([1, 2, 3], labels=["1", "2", "3"],
                                             median=2, own=1).render()
        charts.VerdictsChart.from_verdicts(["a", "b"], ["consensus_in", "no_consensus"],
                                           agreement=[0.9, 0.4]).render("svg")
        charts.VerdictsChart.from_verdicts(["a"], ["consensus_in"]).render()
        charts.ConvergenceChart.from_agreement([1, 2], ["a"], [[0.4, 0.8]],
                                               threshold=0.7).render()
        charts.ConcordanceChart.from_w([1, 2], {"x": [0.2, None]}).render("svg")
        charts.ParticipationChart.from_counts([1], [3], [2], [1]).render()
        charts.VerdictsChart.from_verdicts([], []).render()
        assert "matplotlib.pyplot" not in sys.modules, "pyplot was imported"
        print("ok")
        """
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"

