"""The Delphi process as plain service functions on the models.

See ``rounds/CONTRACT.md``. Every function flushes but never commits, takes
time as ``now=``, and raises :mod:`delphi.domain` errors.
"""
from rounds.adapter import RoundData, round_matrices
from rounds.answering import (
    AnswerSet,
    IncompleteSubmission,
    Questionnaire,
    QuestionnaireItem,
    RatingInput,
    draft_key,
    questionnaire,
    save_answers,
    submit_proposals,
)
from rounds.feedback import snapshot_feedback, stopping_reason_text
from rounds.items import add_item, item_from_proposals, update_item
from rounds.lifecycle import (
    CloseReport,
    close_due_rounds,
    close_round,
    draft_round,
    open_round,
    set_round_items,
    stopping_verdict,
)
from rounds.panel import add_panellist, enrol_panel, panellist_by_pseudonym, withdraw_panellist
from rounds.results import participation, round_results
from rounds.studies import (
    agree_band,
    assign_staff,
    consensus_rule,
    create_study,
    default_scale_labels,
    end_study,
    remove_staff,
    scale_labels_in,
    update_protocol,
)

__all__ = [
    "AnswerSet", "CloseReport", "IncompleteSubmission", "Questionnaire", "QuestionnaireItem", "RatingInput", "RoundData",
    "add_item", "add_panellist", "agree_band", "assign_staff", "close_due_rounds", "close_round",
    "consensus_rule", "create_study", "default_scale_labels", "draft_key", "draft_round",
    "end_study", "enrol_panel", "item_from_proposals", "open_round", "panellist_by_pseudonym",
    "participation", "questionnaire", "remove_staff", "round_matrices", "round_results",
    "save_answers", "scale_labels_in", "set_round_items", "snapshot_feedback", "stopping_reason_text",
    "stopping_verdict", "submit_proposals", "update_item", "update_protocol", "withdraw_panellist",
]
