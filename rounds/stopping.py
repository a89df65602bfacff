"""The stopping rule: when a study has asked enough rounds, and why.

The verdict is frozen with the round's statistics as codes and details
(never as sentences: :func:`stopping_reason_text` words a reason in the
reader's language when it is shown).
"""
from __future__ import annotations

from flask_babel import gettext as _

from delphi.core.models import CarryForward, Round, Study

SETTLED = ("consensus_in", "consensus_out")
#: Share of item × criterion pairs that must be stable for a round to count as stable.
STABLE_SHARE = 0.8
STOPPING_CODES = ("max_rounds", "all_settled", "w_and_stable", "nothing_to_carry")


def row_settled(verdict: str, details: dict | None) -> bool:
    """Whether an item × criterion needs no further round: a settled verdict, or a
    ranking whose Kendall's W was stable between rounds (Schmidt 1997: stop
    when W no longer changes, whether or not it is strong)."""
    return verdict in SETTLED or bool((details or {}).get("w_stable"))


def stable_share(stability_map: dict) -> float | None:
    """Share of item × criterion pairs (with pairs) that are stable; None if none."""
    flags = [v.get("stable") for v in stability_map.values() if v.get("stable") is not None]
    if not flags:
        return None
    return sum(1 for f in flags if f) / len(flags)


def carried_items(study: Study, item_ids: list[int], rows: list[dict]) -> list[int]:
    """The items the next round carries: all, or those with a criterion not settled
    (``no_consensus`` or ``insufficient_n``) under the default policy."""
    if study.carry_forward is CarryForward.all:
        return list(item_ids)
    unsettled = {r["item_id"] for r in rows if not row_settled(r["verdict"], r.get("details"))}
    return [i for i in item_ids if i in unsettled]


def stopping_verdict(study: Study, round: Round, rows: list[dict], concordance_map: dict,
                     stability_map: dict, carry: list[int]) -> dict:
    """The stopping rule's verdict: ``{"stop", "reasons": [{code, details}],
    "checks": {...}}``. Stop when any of:

    * ``max_rounds``: this round's number reached ``study.max_rounds``;
    * ``all_settled`` (when ``stop_when_settled``): every item × criterion has the
      verdict ``consensus_in`` or ``consensus_out`` (or is a ranking whose W was
      stable, :func:`row_settled`);
    * ``w_and_stable`` (when ``stop_w_threshold`` is set): W ≥ the threshold on every
      criterion **and** the round was stable against the previous one, i.e. at least
      ``STABLE_SHARE`` (80 %) of the item × criterion pairs compared have
      ``stable`` = True (Scheibe's change < 15 %);
    * ``nothing_to_carry``: the carry-forward policy leaves no item.
    """
    reasons = []
    settled = sum(1 for r in rows if row_settled(r["verdict"], r.get("details")))
    ws = {c: v.get("w") for c, v in concordance_map.items()}
    share = stable_share(stability_map)
    checks = {
        "round": round.number, "max_rounds": study.max_rounds,
        "settled": settled, "pairs": len(rows), "stop_when_settled": study.stop_when_settled,
        "w": ws, "w_threshold": study.stop_w_threshold,
        "stable_share": share, "stable_share_min": STABLE_SHARE,
        "carry_forward": list(carry),
    }

    def add(code, **details):
        reasons.append({"code": code, "details": details})

    if round.number >= study.max_rounds:
        add("max_rounds", max_rounds=study.max_rounds)
    if study.stop_when_settled and rows and settled == len(rows):
        add("all_settled", settled=settled)
    threshold = study.stop_w_threshold
    if threshold is not None and ws and all(w is not None and w >= threshold for w in ws.values()) \
            and share is not None and share >= STABLE_SHARE:
        add("w_and_stable", threshold=threshold, stable_share=share)
    if not carry:
        add("nothing_to_carry")
    return {"stop": bool(reasons), "reasons": reasons, "checks": checks}


def stopping_reason_text(reason: dict) -> str:
    """The reason of a stopping verdict in the current language (by its ``code``)."""
    code = reason.get("code")
    d = reason.get("details") or {}
    if code == "max_rounds":
        return _("The study has reached its maximum of %(n)d rounds.", n=d.get("max_rounds", 0))
    if code == "all_settled":
        return _("Every item has a settled verdict (consensus in or out).")
    if code == "w_and_stable":
        return _("Kendall's W is at or above %(t)s on every criterion and the round was stable "
                 "(%(share)d%% of items stable).", t=d.get("threshold"),
                 share=round(100 * (d.get("stable_share") or 0)))
    if code == "nothing_to_carry":
        return _("No item is left to carry into another round.")
    return str(code)
