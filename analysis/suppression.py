"""Small-cell suppression with complementary suppression.

A count table published beside its totals must not let a reader recover a
suppressed cell by subtraction. The rule (the usual primary plus
complementary suppression of statistical disclosure control, e.g.
Hundepool et al., *Statistical Disclosure Control*, Wiley 2012, § 5.2):

* **primary**: every cell with fewer than ``min_cell`` answers is
  suppressed;
* **complementary**: in a column with exactly one primary cell, the
  smallest other cell is suppressed too, so the column total minus the
  cells shown no longer gives the suppressed one;
* **no zero sum**: where every suppressed cell of a column is 0, the
  smallest non-zero cell shown is suppressed too, or the total minus the
  cells shown (0) would tell that each suppressed cell is 0.

A reader who sees the cells shown and the column's total, and knows only
that counts are whole numbers of at least 0, then finds at least two values
for every suppressed cell (``tests/test_stats_suppression.py`` tries every
column of up to four cells by brute force). A reader who also knows this
rule can narrow some cells further (``docs/security.md``).
"""
from __future__ import annotations

import numpy as np


def suppression_masks(counts, min_cell: int) -> tuple[np.ndarray, np.ndarray]:
    """``(primary, suppressed)`` boolean masks of a ``(cells × columns)`` count table.

    Parameters
    ----------
    counts : array_like of int, shape (g, k) or (g,)
        Counts per cell (rows: groups; columns: e.g. items). A 1-D array is one column.
    min_cell : int
        Cells with ``n < min_cell`` are suppressed (primary).

    Returns
    -------
    primary, suppressed : ndarray of bool, the shape of ``counts``
        ``suppressed`` adds the complementary cells to ``primary``.

    Examples
    --------
    >>> primary, suppressed = suppression_masks([12, 3, 7], 5)
    >>> primary.tolist(), suppressed.tolist()
    ([False, True, False], [False, True, True])
    """
    if isinstance(min_cell, bool) or not float(min_cell).is_integer() or min_cell < 1:
        raise ValueError(f"min_cell must be a positive integer, got {min_cell!r}")
    n = np.asarray(counts)
    one_column = n.ndim == 1
    if one_column:
        n = n[:, None]
    if n.ndim != 2:
        raise ValueError("counts must be 1-D or 2-D")
    if n.size and (np.any(n < 0) or not np.all(np.equal(np.mod(n, 1), 0))):
        raise ValueError("counts must be whole numbers of at least 0")
    primary = n < int(min_cell)
    complementary = np.zeros_like(primary)
    for j in np.flatnonzero(primary.sum(axis=0) == 1):
        open_cells = np.flatnonzero(~primary[:, j])
        if open_cells.size:
            complementary[open_cells[np.argmin(n[open_cells, j])], j] = True
    suppressed = primary | complementary
    for j in range(n.shape[1]):
        hidden = suppressed[:, j]
        if hidden.any() and n[hidden, j].sum() == 0:
            candidates = np.flatnonzero(~hidden & (n[:, j] > 0))
            if candidates.size:
                suppressed[candidates[np.argmin(n[candidates, j])], j] = True
    if one_column:
        return primary[:, 0], suppressed[:, 0]
    return primary, suppressed
