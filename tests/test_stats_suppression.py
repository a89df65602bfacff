"""Primary and complementary small-cell suppression (analysis.suppression_masks)."""
from __future__ import annotations

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
