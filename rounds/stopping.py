"""The stopping rule: when a study has asked enough rounds, and why.

The verdict is frozen with the round's statistics as codes and details
(never as sentences: :func:`stopping_reason_text` words a reason in the
reader's language when it is shown).
"""
from __future__ import annotations

from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _

from delphi.core.models import CarryForward, Round, Study
from rounds.vocabulary import criterion_label

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
                 "(%(share)d%% of items stable).", t=_decimal(d.get("threshold")),
                 share=round(100 * (d.get("stable_share") or 0)))
    if code == "nothing_to_carry":
        return _("No item is left to carry into another round.")
    return str(code)


# -- the recommendation (read time, from the frozen figures and the inference) ----------

#: Per-item recommendations: (action, code).
ITEM_RECOMMENDATIONS = (
    ("stop", "accepted"), ("stop", "rejected"), ("stop", "stable_no_consensus"),
    ("continue", "moving"), ("continue", "too_few_answers"),
)
#: The W change counts as significant below this p (two-sided).
W_CHANGE_ALPHA = 0.05


def item_recommendation(verdict: str, details: dict | None = None, *, stability: dict | None = None,
                        confident: bool | None = None, agreement=None, iqr=None,
                        agreement_low=None, iqr_high=None, attrition_flag: bool = False) -> dict:
    """What to do with one item × criterion: ``{"action": "stop" | "continue",
    "code", "reasons": [{code, details}]}``.

    * ``accepted`` / ``rejected`` (stop): the verdict is ``consensus_in`` /
      ``consensus_out`` (or a ranking whose W was stable, :func:`row_settled`);
      the reasons say whether it holds at the 95 % bounds (``confident``) and
      whether it needs the dropouts' absence (``attrition_flag``);
    * ``stable_no_consensus`` (stop): no consensus, but stable against the
      previous round (Scheibe's net change < 15 %, ``stability["stable"]``):
      another round is unlikely to move it (Dajani et al. 1979);
    * ``moving`` (continue): no consensus and not stable, or no previous
      round to compare with;
    * ``too_few_answers`` (continue): ``insufficient_n``.
    """
    stability = stability or {}
    reasons: list[dict] = []

    def add(code, **values):
        reasons.append({"code": code, "details": {k: v for k, v in values.items()}})

    if verdict in SETTLED or row_settled(verdict, details):
        code = "rejected" if verdict == "consensus_out" else "accepted"
        add("consensus_out" if verdict == "consensus_out" else "consensus_in",
            agreement=agreement, iqr=iqr)
        if confident is True:
            add("confident", agreement_low=agreement_low, iqr_high=iqr_high)
        elif confident is False:
            add("not_confident", agreement_low=agreement_low, iqr_high=iqr_high)
        if attrition_flag:
            add("attrition_sensitive")
        return {"action": "stop", "code": code, "reasons": reasons}
    if verdict == "insufficient_n":
        add("too_few_answers")
        return {"action": "continue", "code": "too_few_answers", "reasons": reasons}
    stable = stability.get("stable")
    change = stability.get("pct_change")
    if stable is True:
        add("stable", pct_change=change, n_pairs=stability.get("n_pairs"))
        return {"action": "stop", "code": "stable_no_consensus", "reasons": reasons}
    if stable is False:
        add("not_stable", pct_change=change, n_pairs=stability.get("n_pairs"))
    else:
        add("no_comparison")
    return {"action": "continue", "code": "moving", "reasons": reasons}


def round_recommendation(study: Study, round_number: int, items: list[dict],
                         stable_fraction: float | None, w: dict[str, dict]) -> dict:
    """What to do after this round, combining the protocol's rules: ``{"stop",
    "code", "reasons": [{code, details}]}``. ``items`` are
    :func:`item_recommendation` results, ``w`` per criterion ``{"w", "change",
    "pvalue", ...}`` (:func:`analysis.uncertainty.w_change`).

    Stop (first reason that applies gives ``code``) when: the maximum number
    of rounds is reached (``max_rounds``); every item is accepted or rejected
    and the protocol stops on consensus (``all_settled``); the protocol sets a
    W threshold, W reaches it on every criterion, the round is stable
    (``STABLE_SHARE`` of items) and W did not change significantly
    (``w_stable``: permutation p ≥ ``W_CHANGE_ALPHA``); every item is settled
    or stable without consensus (``nothing_moves``). Otherwise continue
    (``continue``) with the items still moving, the rounds left, and any
    significant change of W as reasons.
    """
    reasons: list[dict] = []

    def add(code, **details):
        reasons.append({"code": code, "details": details})

    n_items = len(items)
    settled = sum(1 for r in items if r["code"] in ("accepted", "rejected"))
    stopping = sum(1 for r in items if r["action"] == "stop")
    moving = n_items - stopping
    w_changed = {c: v for c, v in w.items() if v.get("pvalue") is not None
                 and v["pvalue"] < W_CHANGE_ALPHA}
    if round_number >= study.max_rounds:
        add("max_rounds", max_rounds=study.max_rounds)
    if study.stop_when_settled and n_items and settled == n_items:
        add("all_settled", settled=settled)
    threshold = study.stop_w_threshold
    if threshold is not None and w and all(v.get("w") is not None and v["w"] >= threshold
                                           for v in w.values()) \
            and stable_fraction is not None and stable_fraction >= STABLE_SHARE and not w_changed:
        add("w_stable", threshold=threshold, stable_share=stable_fraction)
    if n_items and stopping == n_items and settled < n_items:
        add("nothing_moves", settled=settled, stable=stopping - settled)
    if reasons:
        return {"stop": True, "code": reasons[0]["code"], "reasons": reasons}
    add("items_moving", moving=moving, total=n_items)
    add("rounds_left", left=max(study.max_rounds - round_number, 0))
    for criterion, v in sorted(w_changed.items()):
        add("w_changed", criterion=criterion, change=v.get("change"), pvalue=v.get("pvalue"))
    return {"stop": False, "code": "continue", "reasons": reasons}


def recommendation_label(code: str) -> str:
    """The short label of an item or round recommendation code."""
    labels = {
        "accepted": _("Stop: accepted"), "rejected": _("Stop: rejected"),
        "stable_no_consensus": _("Stop: stable without consensus"),
        "moving": _("Continue: still moving"), "too_few_answers": _("Continue: too few answers"),
        "continue": _("Continue with another round"),
    }
    if code in labels:
        return labels[code]
    return _("Stop the study")


def _pct(value) -> int:
    return round(100 * (value or 0))


def _decimal(value) -> str:
    """A threshold in the reader's locale (``0,7`` in French)."""
    return "" if value is None else format_decimal(value, format="0.###")


def recommendation_reason_text(reason: dict) -> str:
    """A recommendation's reason in the current language (by its ``code``)."""
    code = reason.get("code")
    d = reason.get("details") or {}
    if code == "consensus_in":
        return _("Consensus in: %(a)d%% agreement.", a=_pct(d.get("agreement")))
    if code == "consensus_out":
        return _("Consensus out: the panel rejects the item.")
    if code == "confident":
        return _("Consensus with 95%% confidence: the rule still holds at the interval's bounds "
                 "(agreement at least %(a)d%%).", a=_pct(d.get("agreement_low")))
    if code == "not_confident":
        return _("Not with 95%% confidence: at the interval's bounds (agreement %(a)d%%) the rule "
                 "would not hold.", a=_pct(d.get("agreement_low")))
    if code == "attrition_sensitive":
        return _("The consensus would not hold had the dropouts stayed with their last answers.")
    if code == "too_few_answers":
        return _("Too few answers.")
    if code == "stable":
        return _("Stable against the previous round (%(c)d%% net change).", c=_pct(d.get("pct_change")))
    if code == "not_stable":
        return _("Still moving: %(c)d%% net change since the previous round.", c=_pct(d.get("pct_change")))
    if code == "no_comparison":
        return _("No previous round to compare with.")
    if code == "max_rounds":
        return _("The study has reached its maximum of %(n)d rounds.", n=d.get("max_rounds", 0))
    if code == "all_settled":
        return _("Every item has a settled verdict (consensus in or out).")
    if code == "w_stable":
        return _("Kendall's W is at or above %(t)s on every criterion, did not change significantly, "
                 "and the round was stable.", t=_decimal(d.get("threshold")))
    if code == "nothing_moves":
        return _("No item is moving: %(s)d settled, %(u)d stable without consensus.",
                 s=d.get("settled", 0), u=d.get("stable", 0))
    if code == "items_moving":
        return _("%(n)d of %(total)d items are still moving or lack answers.",
                 n=d.get("moving", 0), total=d.get("total", 0))
    if code == "rounds_left":
        return ngettext("%(num)d round left under the protocol.",
                        "%(num)d rounds left under the protocol.", int(d.get("left", 0)))
    if code == "w_changed":
        return _("Kendall's W changed significantly on %(c)s (permutation p = %(p)s).",
                 c=criterion_label(d.get("criterion") or ""),
                 p=format_decimal(d.get("pvalue") or 0, format="0.000"))
    return str(code)
