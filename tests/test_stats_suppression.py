"""Primary and complementary small-cell suppression (analysis.suppression_masks)."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from analysis import suppression_masks


def test_one_small_cell_takes_the_smallest_other_cell_with_it():
    primary, suppressed = suppression_masks([12, 3, 7, 9], 5)
    assert primary.tolist() == [False, True, False, False]
    assert suppressed.tolist() == [False, True, True, False]
    # Whatever is shown, the total minus the shown cells no longer gives a hidden one.
    shown = sum(n for n, hidden in zip([12, 3, 7, 9], suppressed) if not hidden)
    assert 31 - shown == 3 + 7


def test_two_small_cells_protect_each_other():
    primary, suppressed = suppression_masks([12, 3, 2, 9], 5)
    assert primary.tolist() == suppressed.tolist() == [False, True, True, False]


def test_a_tie_takes_the_first_cell_and_columns_are_independent():
    counts = np.array([[6, 1], [2, 8], [6, 8]])
    primary, suppressed = suppression_masks(counts, 5)
    assert primary.tolist() == [[False, True], [True, False], [False, False]]
    assert suppressed.tolist() == [[True, True], [True, True], [False, False]]


def test_nothing_small_nothing_hidden():
    _primary, suppressed = suppression_masks([5, 5, 40], 5)
    assert not suppressed.any()


@pytest.mark.parametrize("counts, min_cell, fragment", [
    ([1, 2], 0, "min_cell"), ([1, 2], 2.5, "min_cell"), ([1, 2], True, "min_cell"),
    ([-1, 2], 5, "whole numbers"), ([1.5, 2], 5, "whole numbers"), ([[[1]]], 5, "1-D or 2-D"),
])
def test_bad_input_is_a_value_error(counts, min_cell, fragment):
    with pytest.raises(ValueError, match=fragment):
        suppression_masks(counts, min_cell)


def _readings(counts, hidden):
    """Every column a reader cannot tell from ``counts``: the cells shown and the
    total as they are, the suppressed cells any whole numbers of at least 0."""
    shown = sum(c for c, h in zip(counts, hidden) if not h)
    rest = sum(counts) - shown
    slots = [i for i, h in enumerate(hidden) if h]
    for values in itertools.product(range(rest + 1), repeat=len(slots)):
        if sum(values) == rest:
            reading = list(counts)
            for i, v in zip(slots, values):
                reading[i] = v
            yield reading


def test_no_suppressed_cell_can_be_recovered_from_the_total_and_its_siblings():
    """Brute force over every column of 2 to 4 cells with counts 0 to 9: each
    suppressed cell takes at least two values among the readings consistent with
    what is shown, unless the total alone (0) tells every cell."""
    recovered = []
    for size in (2, 3, 4):
        for counts in itertools.product(range(10), repeat=size):
            _primary, hidden = suppression_masks(list(counts), 5)
            if not hidden.any() or sum(counts) == 0:
                continue
            readings = list(_readings(counts, hidden.tolist()))
            for i in np.flatnonzero(hidden):
                if len({r[i] for r in readings}) < 2:
                    recovered.append((counts, int(i)))
    assert not recovered, recovered[:10]


def test_suppressed_zeros_take_the_smallest_non_zero_cell_with_them():
    _primary, hidden = suppression_masks([0, 0, 12, 7], 5)
    assert hidden.tolist() == [True, True, False, True]
