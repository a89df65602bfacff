"""The words of the Delphi process, in the reader's language: one label per
verdict and per status, used by every page, the report and the exports."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

#: What a verdict means for an item.
VERDICT_LABELS = {
    "consensus_in": _l("Consensus to include"),
    "consensus_out": _l("Consensus to exclude"),
    "no_consensus": _l("No consensus"),
    "insufficient_n": _l("Too few responses"),
}

#: The states of studies, rounds and responses.
STATUS_LABELS = {
    "draft": _l("draft"), "running": _l("running"), "ended": _l("ended"), "open": _l("open"),
    "closed": _l("closed"), "submitted": _l("submitted"),
}


#: The kinds of round: one that rates items, or an open first round that collects proposals.
ROUND_KIND_LABELS = {"rating": _l("Rating round"), "open_ended": _l("Open-ended round")}


def round_kind_label(value: str | None) -> str:
    return str(ROUND_KIND_LABELS.get(value, value or ""))


def verdict_label(value: str | None) -> str:
    return str(VERDICT_LABELS.get(value, value or ""))


def status_label(value: str | None) -> str:
    return str(STATUS_LABELS.get(value, value or ""))


#: What became of an item when its round closed (``rounds.outcomes``).
OUTCOME_LABELS = {
    "accepted": _l("Accepted"),
    "rejected": _l("Rejected"),
    "carried": _l("Carried to the next round"),
    "reworded": _l("Reworded for the next round"),
    "dropped": _l("Not carried further"),
}


def outcome_label(value: str | None) -> str:
    return str(OUTCOME_LABELS.get(value, value or ""))


#: Applications to a task force, and organisations' standing towards the initiative.
MEMBERSHIP_STATUS_LABELS = {
    "approved": _l("approved"), "pending": _l("pending"), "declined": _l("declined"),
    "member": _l("Member"), "partner": _l("Partner"), "none": _l("None"),
}

#: A member's role in a task force (``TaskForceRole``).
ROLE_LABELS = {
    "global_leader": _l("Global Leader"),
    "regional_representative": _l("Regional Representative"),
    "team_member": _l("Team Member"),
}

#: The stakeholder groups of ``delphi.core.models.STAKEHOLDER_GROUPS``.
STAKEHOLDER_LABELS = {
    "research": _l("Research and academia"),
    "farmers": _l("Farmers and land managers"),
    "ngo": _l("NGO and civil society"),
    "government": _l("Government and public bodies"),
    "private_sector": _l("Private sector"),
    "international_organisation": _l("International organisation"),
    "funder": _l("Funders and investors"),
    "other": _l("Other"),
}

#: The criteria a study is usually rated on. A study may name others: they are
#: shown as the moderator wrote them.
CRITERION_LABELS = {
    "importance": _l("importance"),
    "feasibility": _l("feasibility"),
    "relevance": _l("relevance"),
    "urgency": _l("urgency"),
    "impact": _l("impact"),
    "cost": _l("cost"),
}


def role_label(value: str | None) -> str:
    return str(ROLE_LABELS.get(value, value or ""))


def stakeholder_label(value: str | None) -> str:
    return str(STAKEHOLDER_LABELS.get(value, value or ""))


def criterion_label(value: str | None) -> str:
    """A criterion in the reader's language (its name as written when it is not
    one of :data:`CRITERION_LABELS`)."""
    return str(CRITERION_LABELS.get(value, value or ""))


#: Labels of the panel attributes the report and the dashboard count by.
ATTRIBUTE_VALUE_LABELS = {"role": role_label, "stakeholder_group": stakeholder_label}


def attribute_value_label(attribute: str, value: str | None) -> str:
    """A panel attribute's value in the reader's words (roles and stakeholder
    groups through their labels; regions are data, translated there)."""
    label = ATTRIBUTE_VALUE_LABELS.get(attribute)
    return label(value) if label else str(value or "")


#: The protocol's fields (``rounds.protocol_checks.INPUT_FIELDS``), as the
#: protocol form names them: what an amendment changed.
PROTOCOL_FIELD_LABELS = {
    "title": _l("Title"),
    "description": _l("Description"),
    "scale_points": _l("Rating scale"),
    "scale_labels": _l("Labels of the scale points"),
    "criteria": _l("Criteria"),
    "consensus": _l("Consensus"),
    "quantile_method": _l("Quartiles"),
    "min_n": _l("Least number of ratings for a verdict"),
    "max_rounds": _l("At most this many rounds"),
    "stop_when_settled": _l("Stop when every item is settled"),
    "stop_w_threshold": _l("Stop when Kendall's W reaches"),
    "panel_cutoff": _l("Panel cut-off"),
    "time_zone": _l("Time zone of the study"),
    "show_distribution": _l("Show the distribution"),
    "show_median_iqr": _l("Show the median and IQR"),
    "show_comments": _l("Show the anonymised comments"),
    "require_reason_outside_iqr": _l("Ask for a reason when a panellist moves outside the previous IQR"),
    "carry_forward": _l("Carry forward"),
    "kind_consensus": _l("Consensus on other questions"),
    "feedback_strata": _l("Also show the feedback by"),
    "moderate_comments": _l("A moderator reviews each comment and reason before the panel sees it"),
    "withdrawal": _l("When a panellist withdraws"),
}


def protocol_field_label(value: str | None) -> str:
    """A protocol field (an amendment's ``field``) in the reader's language."""
    return str(PROTOCOL_FIELD_LABELS.get(value, value or ""))


#: The coded values of the protocol's choice fields, as the protocol form words them.
PROTOCOL_VALUE_LABELS = {
    "scale_points": {5: _l("5 points"), 7: _l("7 points"), 9: _l("9 points")},
    "quantile_method": {
        "type7": _l("Type 7: linear interpolation (R, NumPy, Excel QUARTILE.INC)"),
        "type6": _l("Type 6 (SPSS, Minitab, Excel QUARTILE.EXC)"),
        "hinges": _l("Tukey's hinges"),
    },
    "carry_forward": {"no_consensus": _l("Items without consensus"), "all": _l("All items")},
    "feedback_strata": {"none": _l("Nothing more: the whole panel only"),
                        "stakeholder_group": _l("Stakeholder group"), "role": _l("Role"),
                        "region": _l("Region")},
    "withdrawal": {"keep": _l("keep the answers of closed rounds, pseudonymised"),
                   "delete": _l("delete all their answers")},
}
