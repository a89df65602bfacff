"""Studies, their protocol, staff and panel.

The protocol's values are :func:`rounds.create_study`'s to check (one
validator for the web form, the API and the CLI): the schema parses their
JSON types only. A field given as `null` is as if it was not given (the
study's default), except inside `consensus`, where an explicit `null`
switches a condition off.
"""
from __future__ import annotations

from pydantic import ConfigDict, Field

from delphi.api.schemas.base import (
    MAX_ENTRIES,
    Answer,
    Body,
    DateTime,
    Id,
    Int,
    LongText,
    Number,
    Text,
    choice,
)
from delphi.core.models import (
    CarryForward,
    PanellistStatus,
    RoundStatus,
    StaffRole,
    StudyStatus,
)


class Consensus(Body):
    """The consensus rule: a free object passed as given to the protocol's validator."""

    model_config = ConfigDict(extra="allow", json_schema_extra={
        "description": 'E.g. {"iqr_max": 1, "agreement_min": 0.7} (on 5 or 7 points) or '
                       '{"kind": "rand_ucla"} (9 points). A condition given as null is off.'})

    kind: Text | None = Field(None, json_schema_extra={"examples": ["rule", "rand_ucla"]})
    iqr_max: Number | None = None
    agreement_min: Number | None = Field(None, description="A share from 0 to 1")
    disagreement_min: Number | None = Field(None, description="A share from 0 to 1")
    median_range: list[Number] | None = Field(None, max_length=MAX_ENTRIES,
                                              description="[low, high] on the scale")
    combine: Text | None = Field(None, json_schema_extra={"examples": ["all", "any"]})

    def as_given(self) -> dict:
        """The keys given, an explicit `null` kept, unknown keys as they came (the
        validator names them); nothing serialised, so nothing is altered."""
        given = {name: getattr(self, name) for name in self.model_fields_set}
        return {**given, **(self.__pydantic_extra__ or {})}


class StudyCreate(Body):
    """`POST /studies`: a task force's code, a title and any protocol setting."""

    task_force: Text = Field(description="The task force's code, e.g. A5")
    title: Text
    description: LongText | None = None
    scale_points: Int | None = Field(None, description="5, 7 or 9 (default 5)")
    scale_labels: list[Text] | None = Field(None, max_length=MAX_ENTRIES,
                                            description="One label per point, lowest first")
    criteria: list[Text] | None = Field(None, max_length=MAX_ENTRIES,
                                        description="One to three (default: importance)")
    consensus: Consensus | None = None
    quantile_method: Text | None = Field(None, description="type7 (default), type6 or hinges")
    min_n: Int | None = None
    max_rounds: Int | None = Field(None, description="1 to 20 (default 3)")
    stop_when_settled: bool | None = None
    stop_w_threshold: Number | None = Field(None, description="Kendall's W above 0, at most 1")
    panel_cutoff: DateTime | None = None
    show_distribution: bool | None = None
    show_median_iqr: bool | None = None
    show_comments: bool | None = None
    require_reason_outside_iqr: bool | None = None
    carry_forward: Text | None = Field(None, description="no_consensus (default) or all")
    feedback_strata: Text | None = Field(
        None, description="none (default), stakeholder_group, role or region: the feedback is "
                          "also split by it, small cells suppressed")
    moderate_comments: bool | None = Field(
        None, description="whether a moderator reviews comments and reasons before they are "
                          "fed back (default false)")
    withdrawal: Text | None = Field(
        None, description="keep (default: closed rounds' answers stay, pseudonymised) or delete "
                          "(a withdrawing panellist's answers are deleted)")

    def protocol(self) -> dict:
        """The settings given, as :func:`rounds.create_study`'s keyword arguments."""
        values = {name: getattr(self, name) for name in self.model_fields_set
                  if name not in ("task_force", "title", "consensus")
                  and getattr(self, name) is not None}
        if self.consensus is not None:
            values["consensus"] = self.consensus.as_given()
        return values


class RoundRef(Answer):
    number: int
    status: choice(*(s.value for s in RoundStatus))


class Study(Answer):
    id: int
    task_force: str
    title: str
    description: str
    status: choice(*(s.value for s in StudyStatus))
    scale_points: int
    scale_labels: list[str]
    criteria: list[str]
    consensus: dict
    quantile_method: str
    min_n: int
    max_rounds: int
    stop_when_settled: bool
    stop_w_threshold: float | None
    panel_cutoff: str | None
    show_distribution: bool
    show_median_iqr: bool
    show_comments: bool
    require_reason_outside_iqr: bool
    carry_forward: choice(*(c.value for c in CarryForward))
    feedback_strata: str
    moderate_comments: bool
    withdrawal: str
    time_zone: str
    locked_at: str | None
    rounds: list[RoundRef]


class StaffAssignment(Body):
    """`POST /studies/{study_id}/staff` (admin)."""

    email: Text
    role: choice(*(r.value for r in StaffRole))


class Staff(Answer):
    email: str
    role: choice(*(r.value for r in StaffRole))


class PanellistRequest(Body):
    """`POST /studies/{study_id}/panellists`."""

    email: Text


class Panellist(Answer):
    pseudonym: str
    status: choice(*(s.value for s in PanellistStatus))



class ConsentAcceptance(Body):
    version: Id = Field(description="The version of the information sheet the caller read "
                                    "and accepts (the current one)")


class ConsentState(Answer):
    version: int | None = Field(description="The current version (null: the study has none)")
    language: str = Field(description="The language of the texts below")
    information_sheet: str
    consent_text: str
    withdrawal: str = Field(description="What withdrawing does to one's answers: keep or delete")
    accepted: bool = Field(description="Whether the caller has accepted the current version")
    accepted_at: str | None = Field(description="When (ISO 8601, UTC)")
