"""The Delphi process as plain service functions on the models.

See ``rounds/CONTRACT.md``. Every function flushes but never commits, takes
time as ``now=``, takes settings as arguments (a
:class:`delphi.core.policy.Policy`), writes its own audit rows with the
actor passed in, and raises :mod:`delphi.core.errors` errors.
"""
from rounds.adapter import COUNTED, RoundData, mark_counted, round_matrices
from rounds.answering import (
    AnswerSet,
    AnswerState,
    IncompleteSubmission,
    RatingInput,
    answer_state,
    draft_key,
    save_answers,
    submit_proposals,
)
from rounds.consent import (
    accept_consent,
    consent_needed,
    consent_records,
    current_version,
    publish_consent,
    require_consent,
)
from rounds.feedback import snapshot_feedback
from rounds.items import add_item, item_from_proposals, reword_item, update_item
from rounds.lifecycle import (
    CloseReport,
    close_due_rounds,
    close_round,
    draft_round,
    open_round,
    set_round_items,
)
from rounds.moderation import FreeText, free_texts, review_feedback, unreviewed_count
from rounds.panel import (
    add_panellist,
    enrol_panel,
    panellist_by_pseudonym,
    withdraw_panellist,
)
from rounds.panel_attributes import composition, non_responders, panel_attributes
from rounds.protocol import Protocol
from rounds.questionnaires import (
    Progress,
    Questionnaire,
    QuestionnaireItem,
    answer_progress,
    questionnaire,
)
from rounds.results import (
    ItemRow,
    get_round,
    item_rows,
    participation,
    round_results,
    stopping_in_words,
)
from rounds.screening import Flag, screen_text
from rounds.stopping import stopping_reason_text, stopping_verdict
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
from rounds.subgroups import subgroup_tables
from rounds.translations import (
    MissingTranslation,
    missing_translations,
    set_study_translations,
    study_criterion,
    study_scale_labels,
    study_text,
)

__all__ = [
    "COUNTED",
    "AnswerSet",
    "AnswerState",
    "CloseReport",
    "Flag",
    "FreeText",
    "IncompleteSubmission",
    "ItemRow",
    "MissingTranslation",
    "Progress",
    "Protocol",
    "Questionnaire",
    "QuestionnaireItem",
    "RatingInput",
    "RoundData",
    "accept_consent",
    "add_item",
    "add_panellist",
    "agree_band",
    "answer_progress",
    "answer_state",
    "assign_staff",
    "close_due_rounds",
    "close_round",
    "composition",
    "consensus_rule",
    "consent_needed",
    "consent_records",
    "create_study",
    "current_version",
    "default_scale_labels",
    "draft_key",
    "draft_round",
    "end_study",
    "enrol_panel",
    "free_texts",
    "get_round",
    "item_from_proposals",
    "item_rows",
    "mark_counted",
    "missing_translations",
    "non_responders",
    "open_round",
    "panel_attributes",
    "panellist_by_pseudonym",
    "participation",
    "publish_consent",
    "questionnaire",
    "remove_staff",
    "require_consent",
    "review_feedback",
    "reword_item",
    "round_matrices",
    "round_results",
    "save_answers",
    "scale_labels_in",
    "screen_text",
    "set_round_items",
    "set_study_translations",
    "snapshot_feedback",
    "stopping_in_words",
    "stopping_reason_text",
    "stopping_verdict",
    "study_criterion",
    "study_scale_labels",
    "study_text",
    "subgroup_tables",
    "submit_proposals",
    "unreviewed_count",
    "update_item",
    "update_protocol",
    "withdraw_panellist",
]
