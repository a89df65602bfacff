"""Rounds: drafting and opening them, what staff and panellists see, answers, results."""
from __future__ import annotations

from typing import Annotated

from pydantic import Field

from delphi.api.schemas.base import (
    MAX_ENTRIES,
    Answer,
    Body,
    DateTime,
    Id,
    Int,
    LongText,
    OpenAnswer,
    Text,
    choice,
)
from delphi.core.models import ResponseStatus, RoundKind, RoundStatus

# -- requests ------------------------------------------------------------------------


class RoundItem(Body):
    """An item of a new round: an existing item's `id`, or the `text` of a new one."""

    id: Id | None = None
    text: LongText | None = None
    background: LongText | None = None


class RoundDraft(Body):
    """`POST /studies/{study_id}/rounds` (moderator): the next round, in this order."""

    items: list[RoundItem] | None = Field(None, max_length=MAX_ENTRIES)
    kind: choice(*(k.value for k in RoundKind)) | None = None
    closes_at: DateTime | None = None


class RoundOpening(Body):
    """`POST /studies/{study_id}/rounds/{number}/open` (the body may be left out)."""

    closes_at: DateTime | None = None


class Rating(Body):
    """One answer: a point of the scale, or `null` for "cannot rate"."""

    item: Int = Field(description="The item's id")
    criterion: Text
    value: Int | None = Field(description='A point of the scale, or null for "cannot rate"')
    reason: LongText | None = Field(None, description="Why the rating moved outside the IQR")
    comment: LongText | None = Field(None, description="A comment on the item")


class Answers(Body):
    """`PUT /studies/{study_id}/rounds/{number}/response` (panellist)."""

    ratings: list[Rating] = Field(max_length=MAX_ENTRIES)
    submit: bool | None = Field(None, description="Make the answers count (default: a draft)")
    submit_key: Annotated[Text, Field(max_length=64)] | None = Field(
        None, description="The same key twice submits once")


# -- answers -------------------------------------------------------------------------


class CriterionFeedback(Answer):
    n: int | None
    median: float | None
    q1: float | None
    q3: float | None
    iqr: float | None
    counts: list[int] | None
    own_previous: int | None = Field(None, description="The panellist's own last rating "
                                                       "(panellists only)")


class Feedback(Answer):
    """The group's answers to an item in the last closed round."""

    criteria: dict[str, CriterionFeedback]
    comments: list[str]


class StaffRoundItem(Answer):
    id: int
    code: str
    text: str
    feedback: Feedback | None


class StaffRound(Answer):
    """A round as its staff see it."""

    number: int
    kind: choice(*(k.value for k in RoundKind))
    status: choice(*(s.value for s in RoundStatus))
    closes_at: str | None
    opened_at: str | None
    closed_at: str | None
    items: list[StaffRoundItem]


class ClosedRound(StaffRound):
    next_round: int | None = Field(description="The round drafted at close, if any")
    stopping: dict | None = Field(description="The stopping rule's verdict")


class PanellistRoundItem(Answer):
    id: int
    code: str
    text: str
    background: str
    feedback: Feedback | None


class ItemAnswers(Answer):
    ratings: dict[str, dict] | None = Field(description="Per criterion: {value, reason?}")
    comment: str | None


class OwnResponse(Answer):
    status: choice(*(s.value for s in ResponseStatus)) | None
    answers: dict[str, ItemAnswers] = Field(description="Per item id")


class PanellistRound(Answer):
    """A round as a panellist sees it: from round 2, each item's feedback."""

    number: int
    kind: choice(*(k.value for k in RoundKind))
    status: choice(*(s.value for s in RoundStatus))
    closes_at: str | None
    items: list[PanellistRoundItem]
    response: OwnResponse


class SavedResponse(Answer):
    status: choice(*(s.value for s in ResponseStatus))


class ResultRow(OpenAnswer):
    item: int
    code: str
    text: str
    criterion: str
    n: int
    n_missing: int
    median: float | None
    q1: float | None
    q3: float | None
    iqr: float | None
    mean: float | None
    sd: float | None
    agreement: float | None
    disagreement: float | None
    counts: list[int]
    consensus: bool
    verdict: str
    details: dict


class Concordance(OpenAnswer):
    w: float | None
    chi2: float | None
    df: int | None
    pvalue: float | None
    n_raters: int


class Results(OpenAnswer):
    """A closed round's frozen statistics."""

    round: int
    response_rate: float | None
    invited: int | None
    started: int | None
    submitted: int | None
    items: list[ResultRow]
    concordance: dict[str, Concordance]
    stability: dict
    stopping: dict | None
