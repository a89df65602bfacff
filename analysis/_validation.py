"""Shared input checks for the statistics package.

Every public function of :mod:`analysis` validates its arguments here first
and raises :class:`ValueError` naming the offending argument, so that a caller
(the ``rounds`` services, a CLI command, a notebook) gets a message it can act
on instead of a numpy traceback from deep inside a computation.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

QUANTILE_METHODS = ("type7", "type6", "hinges")


def as_matrix(ratings, name: str = "ratings") -> np.ndarray:
    """Return *ratings* as a 2-D float array (rows = panellists, columns = items).

    NaN marks a missing rating. Infinite values, strings and anything that is
    not exactly two-dimensional are rejected.
    """
    try:
        arr = np.asarray(ratings, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must be a 2-D numeric array (rows = panellists, "
            f"columns = items); NaN marks a missing rating"
        ) from exc
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D (rows = panellists, columns = items), "
            f"got an array with {arr.ndim} dimension(s)"
        )
    if np.isinf(arr).any():
        raise ValueError(f"{name} contains infinite values; use NaN for a missing rating")
    return arr


def check_scale(scale, name: str = "scale") -> tuple[int, int]:
    """Return a validated ``(low, high)`` pair of integers with ``low < high``."""
    try:
        low, high = scale
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a pair (low, high) of integers, got {scale!r}") from exc
    for value in (low, high):
        if isinstance(value, bool) or not float(value).is_integer():
            raise ValueError(f"{name} must be a pair (low, high) of integers, got {scale!r}")
    low, high = int(low), int(high)
    if low >= high:
        raise ValueError(f"{name} must have low < high, got {scale!r}")
    if high - low > 100:
        raise ValueError(f"{name} spans more than 101 points ({scale!r}); not a rating scale")
    return low, high


def check_on_scale(arr: np.ndarray, scale: tuple[int, int], name: str = "ratings") -> None:
    """Raise unless every non-NaN value of *arr* is an integer inside *scale*."""
    low, high = scale
    n_missing = np.count_nonzero(np.isnan(arr))
    if n_missing == arr.size:
        return
    smallest = np.fmin.reduce(arr, axis=None)
    largest = np.fmax.reduce(arr, axis=None)
    if smallest < low or largest > high:
        raise ValueError(
            f"{name} has values off the scale {low}..{high} "
            f"(found {smallest:g}..{largest:g})"
        )
    # NaN != NaN, so exactly the missing cells differ from their rounding.
    if np.count_nonzero(arr != np.round(arr)) > n_missing:
        raise ValueError(f"{name} has non-integer values; ratings on a scale must be whole points")


def default_band(scale: tuple[int, int]) -> tuple[int, int]:
    """The default agreement band: the top two points, the top three on a 9-point scale.

    4-5 on 1..5, 6-7 on 1..7, 7-9 on 1..9 (the app's defaults, ``rounds.studies.agree_band``).
    """
    low, high = scale
    return (high - 2, high) if high - low + 1 == 9 else (high - 1, high)


def check_band(band, scale: tuple[int, int], name: str = "agree") -> tuple[int, int]:
    """Return a validated ``(low, high)`` band of scale points inside *scale*
    (None: :func:`default_band`)."""
    if band is None:
        return default_band(scale)
    try:
        low, high = band
        low_f, high_f = float(low), float(high)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a pair (low, high) of scale points, got {band!r}") from exc
    if not (low_f.is_integer() and high_f.is_integer()):
        raise ValueError(f"{name} must be whole scale points, got {band!r}")
    if low_f > high_f:
        raise ValueError(f"{name} must have low <= high, got {band!r}")
    if low_f < scale[0] or high_f > scale[1]:
        raise ValueError(
            f"{name} {band!r} lies outside the scale {scale[0]}..{scale[1]}"
        )
    return int(low_f), int(high_f)


def check_quantiles(method, allowed: Sequence[str] = QUANTILE_METHODS) -> str:
    """Return *method* if it is one of *allowed*, else raise naming ``quantiles``."""
    if method not in allowed:
        raise ValueError(
            f"quantiles must be one of {', '.join(repr(m) for m in allowed)}; got {method!r}"
        )
    return method


def check_items(items, k: int, name: str = "items") -> list:
    """Return item labels: ``range(k)`` when *items* is None, else a list of length *k*."""
    if items is None:
        return list(range(k))
    labels = list(items)
    if len(labels) != k:
        raise ValueError(f"{name} has {len(labels)} labels but the ratings have {k} columns (items)")
    return labels
