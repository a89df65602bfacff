"""Pseudonyms, shuffling and k-anonymity of the exported tables.

Pseudonyms
----------
``HMAC-SHA256(key = study.pseudonym_secret, message = str(panellist.id))``,
hex, truncated to 16 characters (64 bits). Stable across the study's rounds
and exports; different across studies (each study has its own secret);
not reversible without the secret, which is never exported or shown.

k-anonymity of the quasi-identifiers (:func:`k_anonymise`)
----------------------------------------------------------
The quasi-identifiers are role (the panellist's role in the task force),
region and stakeholder group, one combination per panellist. With *k* =
``EXPORT_K_ANONYMITY`` (default 5):

1. The attributes are ordered from finest to coarsest by the number of
   distinct values they take on this panel (ties: stakeholder group, region,
   role).
2. Local generalisation, stepwise: while some combination is held by fewer
   than *k* panellists, each panellist of such a combination has the finest
   attribute they still show replaced by ``suppressed``. Groups of *k* or more
   are never touched, so they never shrink; every step suppresses at least one
   more value, so the loop ends.
3. If the panellists left with everything suppressed number fewer than *k*
   (but more than none), the group is topped up with panellists drawn at
   random (CSPRNG) from the largest groups that keep at least *k* members;
   when that is impossible, every attribute is suppressed for everybody.
4. With fewer than *k* panellists in all, every attribute is suppressed: the
   one remaining combination then says nothing about anybody.

The result: every combination that appears in the export is shared by at
least *k* panellists (or carries no information at all). The codebook reports
how many values were suppressed. Known limit: the set of rounds a panellist
answered is not treated as a quasi-identifier.
"""
from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

SUPPRESSED = "suppressed"
QUASI_IDENTIFIERS = ("role", "region", "stakeholder_group")
#: Tie-break order when two attributes have as many distinct values (finest first).
_TIE_ORDER = ("stakeholder_group", "region", "role")
PSEUDONYM_HEX = 16


# -- pseudonyms and shuffling --------------------------------------------------

def pseudonym(secret: str, panellist_id: int) -> str:
    """The export pseudonym of a panellist: truncated HMAC-SHA256 (see module doc)."""
    digest = hmac.new(secret.encode("utf-8"), str(int(panellist_id)).encode("ascii"),
                      hashlib.sha256).hexdigest()
    return digest[:PSEUDONYM_HEX]


def secure_permutation(n: int) -> np.ndarray:
    """A random permutation of ``range(n)`` drawn from the OS CSPRNG.

    Sorting by 64-bit keys from :func:`os.urandom` (the chance of a tie among
    1.2 million keys is about 4e-8, and a tie only keeps two rows in place).
    """
    if n <= 1:
        return np.arange(n, dtype=np.intp)
    keys = np.frombuffer(os.urandom(8 * n), dtype=np.uint64)
    return np.argsort(keys, kind="stable")


def shuffle(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``frame`` in a CSPRNG-random order, with a fresh 0..n-1 index."""
    return frame.take(secure_permutation(len(frame))).reset_index(drop=True)


# -- k-anonymity -----------------------------------------------------------------

@dataclass
class AnonymityReport:
    k: int
    panellists: int
    suppressed: dict[str, int] = field(default_factory=dict)
    topped_up: int = 0
    all_suppressed: bool = False

    def to_dict(self) -> dict:
        return {"k": self.k, "panellists": self.panellists, "suppressed_values": self.suppressed,
                "topped_up": self.topped_up, "all_suppressed": self.all_suppressed}


def _attribute_order(qi: pd.DataFrame, attributes) -> list[str]:
    counts = {a: qi[a].nunique() for a in attributes}
    return sorted(attributes, key=lambda a: (-counts[a], _TIE_ORDER.index(a)
                                             if a in _TIE_ORDER else len(_TIE_ORDER)))


def k_anonymise(qi: pd.DataFrame, k: int, attributes=QUASI_IDENTIFIERS
                ) -> tuple[pd.DataFrame, AnonymityReport]:
    """Generalise the quasi-identifiers, one row per panellist, to k-anonymity.

    Parameters
    ----------
    qi : DataFrame
        One row per panellist with the ``attributes`` columns (strings).
    k : int
        Minimum number of panellists sharing each combination (>= 1).

    Returns
    -------
    (DataFrame, AnonymityReport)
        A copy with some values replaced by ``"suppressed"``; the algorithm is
        described in the module docstring.
    """
    if k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    attributes = list(attributes)
    out = qi.copy()
    for a in attributes:
        out[a] = out[a].astype(object)
    report = AnonymityReport(k=k, panellists=len(out))
    if len(out) == 0:
        return out, report
    original = out[attributes].copy()
    if len(out) < k:
        out[attributes] = SUPPRESSED
        report.all_suppressed = True
    else:
        order = _attribute_order(out, attributes)
        while True:
            sizes = out.groupby(attributes, sort=False)[attributes[0]].transform("size")
            small = (sizes < k).to_numpy()
            if not small.any():
                break
            handled = np.zeros(len(out), dtype=bool)
            for a in order:
                mask = small & ~handled & (out[a] != SUPPRESSED).to_numpy()
                if mask.any():
                    out.loc[mask, a] = SUPPRESSED
                    handled |= mask
            if not handled.any():  # the small group is the all-suppressed one
                if not _top_up(out, attributes, k, report):
                    out[attributes] = SUPPRESSED
                    report.all_suppressed = True
                break
    for a in attributes:
        report.suppressed[a] = int(((out[a] == SUPPRESSED) & (original[a] != SUPPRESSED)).sum())
    return out, report


def _top_up(out: pd.DataFrame, attributes: list[str], k: int, report: AnonymityReport) -> bool:
    """Move panellists from large groups into a too-small all-suppressed group."""
    all_sup = (out[attributes] == SUPPRESSED).all(axis=1).to_numpy()
    need = k - int(all_sup.sum())
    groups = out[~all_sup].groupby(attributes, sort=False).indices
    donors = []
    for _key, positions in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        spare = len(positions) - k
        if spare <= 0:
            break
        index = out.index[~all_sup][positions]
        take = min(spare, need - len(donors))
        chosen = index.to_numpy()[secure_permutation(len(index))[:take]]
        donors.extend(chosen.tolist())
        if len(donors) >= need:
            break
    if len(donors) < need:
        return False
    out.loc[donors, attributes] = SUPPRESSED
    report.topped_up = len(donors)
    return True
