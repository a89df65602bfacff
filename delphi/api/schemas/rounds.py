"""Rounds: drafting and opening them, what staff and panellists see, answers, results."""
from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import (
    Field,
    PlainValidator,
    ValidationInfo,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from delphi.api.schemas.base import (
    INT32_MAX,
    INT32_MIN,
    MAX_ENTRIES,
    SHORT_TEXT,
    Answer,
    Body,
    DateTime,
    Id,
    Int,
    LongText,
    Number,
    OpenAnswer,
    Text,
    _storable,
    choice,
)
from delphi.core.models import ResponseStatus, RoundKind, RoundStatus
from rounds.kinds import KIND_NAMES

#: The largest integer an answer or an option may hold (JSON's safe integers: a
#: larger one is not even the same number in every client).
SAFE_INTEGER = 2 ** 53
_KIND = choice(*KIND_NAMES)


def _json_value(value, depth: int = 0):
    """An answer's JSON value with every number finite and within the safe
    integers and every text storable: the types of a kind-shaped answer. Its
    shape, its bounds and its meaning are ``rounds.save_answers``'s to judge."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if not -SAFE_INTEGER <= value <= SAFE_INTEGER:
            raise PydanticCustomError("less_than_equal", "too large", {"le": SAFE_INTEGER})
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise PydanticCustomError("finite_number", "not a finite number")
        return value
    if isinstance(value, str):
        if len(value) > SHORT_TEXT:
            raise PydanticCustomError("string_too_long", "too long", {"max_length": SHORT_TEXT})
        return _storable(value)
    if depth >= 2:
        raise PydanticCustomError("answer_shape", "not an answer")
    if isinstance(value, list):
        if len(value) > MAX_ENTRIES:
            raise PydanticCustomError("too_long", "too long", {"max_length": MAX_ENTRIES})
        return [_json_value(v, depth + 1) for v in value]
    if isinstance(value, dict):
        if len(value) > 10:
            raise PydanticCustomError("answer_shape", "not an answer")
        return {_json_value(str(k), depth + 1): _json_value(v, depth + 1)
                for k, v in value.items()}
    raise PydanticCustomError("answer_shape", "not an answer")


def _answer_value(value, info: ValidationInfo):
    """A rating's value (the entry has a ``criterion``) is a whole number or null,
    as it always was; another kind's value is any of the shapes the kinds take."""
    if (info.data or {}).get("criterion") not in (None, ""):
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise PydanticCustomError("int_type", "not an integer")
        if not INT32_MIN <= value <= INT32_MAX:
            raise PydanticCustomError("less_than_equal" if value > 0 else "greater_than_equal",
                                      "out of range", {"le": INT32_MAX, "ge": INT32_MIN})
        return value
    return _json_value(value)


_NUMBER = {"type": "number"}
_QUANTILES = {"type": "object", "description": "An estimate's quantiles, P10 ≤ P50 ≤ P90",
              "properties": {"p10": _NUMBER, "p50": _NUMBER, "p90": _NUMBER},
              "required": ["p10", "p50", "p90"]}
AnswerValue = Annotated[Any, PlainValidator(_answer_value), WithJsonSchema({
    "anyOf": [{"type": "integer", "format": "int32"}, _NUMBER, _QUANTILES,
              {"type": "string", "enum": ["later"]},
              {"type": "array", "items": {"type": "integer"}, "maxItems": MAX_ENTRIES},
              {"type": "null"}],
    "description": 'With a `criterion` (a rating): a point of the scale, or null for "cannot '
                   'rate". Without one, shaped by the item\'s kind: an estimate a number or '
                   '`{p10, p50, p90}`; a probability a number from 0 to 100; a year a whole '
                   'number or `"later"`; a ranking the options\' ids, best first. Null: '
                   '"cannot answer".'})]

# -- requests ------------------------------------------------------------------------


class Point(Body):
    """A value of an indicator and its year: an estimate's `baseline` or `target`."""

    value: Number | None = None
    year: Int | None = None


def _option(value):
    """A ranking option: a text, or an object (``{"text", "translations"}``,
    ``{"item": id}``) of storable texts and safe numbers. What it says is
    ``rounds``'s to check."""
    if not isinstance(value, (str, dict)):
        raise PydanticCustomError("option_type", "not an option")
    return _json_value(value)


Option = Annotated[Any, PlainValidator(_option), WithJsonSchema({
    "anyOf": [{"type": "string", "maxLength": SHORT_TEXT},
              {"type": "object", "properties": {
                  "text": {"type": "string", "maxLength": SHORT_TEXT},
                  "translations": {"type": "object",
                                   "additionalProperties": {"type": "string"},
                                   "description": 'By language: {"fr": "...", "es": "..."}'}},
               "required": ["text"]},
              {"type": "object", "properties": {"item": {"type": "integer", "format": "int32"}},
               "required": ["item"], "description": "Another item of the study, by its id"}],
    "description": "A ranking option: its text, its text with translations, or an item"})]

#: The fields of :class:`RoundItem` that are a kind's parameters, as ``rounds``
#: names them (``params.<name>``).
PARAMETERS = ("unit", "min", "max", "quantiles", "indicator", "baseline", "target",
              "event_year", "options", "top_k")


class RoundItem(Body):
    """An item of a new round: an existing item's `id`, or the `text` of a new one,
    of the question `kind` (default `rating`) with the kind's parameters:

    - `estimate`: `unit`, `min`, `max`, `quantiles` (true: P10, P50 and P90; false:
      one value), and an `indicator` of the study's task force (its id) or a
      `baseline` and a `target` (`{value, year}`);
    - `probability`: `event_year` (the year by which the event happens);
    - `year`: `min` and `max` (the first and last years offered; "later" is after `max`);
    - `ranking`: `options` (texts, `{"text", "translations"}` or `{"item": id}`)
      and `top_k` (rank the top k only; default: all).

    For an existing item (`id`) its own kind and parameters hold."""

    id: Id | None = None
    text: LongText | None = None
    background: LongText | None = None
    kind: Text | None = Field(None, description="rating (default), estimate, probability, "
                                                "year or ranking")
    unit: Text | None = None
    min: Number | None = None
    max: Number | None = None
    quantiles: bool | None = None
    indicator: Int | None = Field(None, description="An indicator of the study's task force")
    baseline: Point | None = None
    target: Point | None = None
    event_year: Int | None = None
    options: list[Option] | None = Field(None, max_length=MAX_ENTRIES)
    top_k: Int | None = None


class RoundDraft(Body):
    """`POST /studies/{study_id}/rounds` (moderator): the next round, in this order."""

    items: list[RoundItem] | None = Field(None, max_length=MAX_ENTRIES)
    kind: choice(*(k.value for k in RoundKind)) | None = None
    closes_at: DateTime | None = None


class RoundOpening(Body):
    """`POST /studies/{study_id}/rounds/{number}/open` (the body may be left out)."""

    closes_at: DateTime | None = None


class Rating(Body):
    """One answer. A rating item's: a point of the scale per `criterion`, or `null`
    for "cannot rate". Another kind's: no `criterion`, and a `value` shaped by the
    kind (see `value`)."""

    item: Int = Field(description="The item's id")
    criterion: Text | None = Field(None, description="The criterion rated (rating items "
                                                     "only; leave it out for other kinds)")
    value: AnswerValue
    reason: LongText | None = Field(None, description="Why the answer moved outside the IQR")
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


class Quantiles(Answer):
    """An aggregate distribution: the P10, P50 and P90."""

    p10: float | None
    p50: float | None
    p90: float | None


class PointOut(Answer):
    """An indicator's value and its year (an estimate's baseline or target)."""

    value: float | None
    year: int | None = None


class OptionFeedback(Answer):
    option: int = Field(description="The option's id")
    mean_rank: float | None
    top3_share: float | None = None


class Feedback(Answer):
    """The group's answers to an item in the last closed round.

    A rating item's are per criterion (`criteria`). Another kind's are the item's
    own figures, named as in the results (`criteria` is then empty): `median`,
    `q1`, `q3`, `iqr` for estimates, probabilities and years (a year's
    `*_later` say a quartile is "later"); an estimate's `aggregate`,
    `dispersion`, `unit`, `baseline` and `target`; a ranking's `w` and its
    `options` with their `mean_rank` and `top3_share`; `values`, the panel's
    answers (sorted; an estimate's P50s). Under the smallest cell the study
    shows, only `n` and `suppressed`. A panellist also sees `own_previous`,
    their own last answer (any kind's shape; null: cannot answer or none)."""

    criteria: dict[str, CriterionFeedback]
    comments: list[str]
    kind: _KIND | None = None
    n: int | None = None
    suppressed: bool | None = None
    median: float | None = None
    q1: float | None = None
    q3: float | None = None
    iqr: float | None = None
    values: list[float | str] | None = None
    aggregate: Quantiles | None = None
    dispersion: float | None = None
    unit: str | None = None
    baseline: PointOut | None = None
    target: PointOut | None = None
    later_share: float | None = None
    median_later: bool | None = None
    q1_later: bool | None = None
    q3_later: bool | None = None
    w: float | None = None
    options: list[OptionFeedback] | None = None
    own_previous: Any = Field(None, description="The panellist's own last answer (panellists "
                                                "only; not for rating items, whose own last "
                                                "rating is per criterion)")


class OptionOut(Answer):
    id: int
    text: str = Field(description="In the reader's language")


class ItemParameters(Answer):
    """An item's question `kind` and the kind's parameters (only the kind's own
    are given): an estimate's `unit`, `min`, `max`, `quantiles`, `indicator`,
    `baseline`, `target`; a probability's `event_year`; a year's `min` and
    `max`; a ranking's `options` (`[{id, text}]`, answers use the ids) and
    `top_k` (null: rank them all)."""

    kind: _KIND
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    quantiles: bool | None = None
    indicator: int | None = None
    baseline: PointOut | None = None
    target: PointOut | None = None
    event_year: int | None = None
    options: list[OptionOut] | None = None
    top_k: int | None = None


class StaffRoundItem(ItemParameters):
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


class PanellistRoundItem(ItemParameters):
    id: int
    code: str
    text: str
    background: str
    feedback: Feedback | None


class OwnAnswer(Answer):
    value: Any = Field(description="Shaped by the item's kind, as it was given (null: "
                                   "cannot answer)")
    reason: str | None = None


class ItemAnswers(Answer):
    """The panellist's own answers to an item: a rating item's per criterion
    (`ratings`); another kind's in `answer` (`ratings` is then empty)."""

    ratings: dict[str, dict] | None = Field(description="Per criterion: {value, reason?}")
    comment: str | None
    answer: OwnAnswer | None = Field(None, description="An item of another kind than rating: "
                                                       "{value, reason?}; null: not answered yet")


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


class RankedOption(OpenAnswer):
    option: int = Field(description="The option's id")
    mean_rank: float | None
    rank_sum: float | None
    top3_share: float | None = Field(description="The share of panellists who placed it in "
                                                 "their top three")


class ResultRow(OpenAnswer):
    """One item (× criterion, for ratings) of a closed round. Items of another kind
    than rating have the criterion `""` and their kind's statistics: estimates
    `median`, `q1`, `q3`, `iqr` (of the P50s or values), `dispersion`,
    `aggregate`, `target_share`, `median_gap`; probabilities and years `median`,
    `q1`, `q3`, `iqr` (years: `later_share`, and `*_later` when a quartile is
    "later"); rankings `options`, `w`, `chi2`, `df`, `pvalue`."""

    item: int
    code: str
    text: str
    kind: _KIND
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
    dispersion: float | None = Field(None, description="Estimates: the quartile coefficient of "
                                                       "dispersion (Q3 − Q1) / (Q3 + Q1)")
    aggregate: Quantiles | None = Field(None, description="Estimates: the panel's P10, P50 and "
                                                          "P90 by quantile averaging")
    target_share: float | None = Field(None, description="Estimates with a target: the share "
                                                         "of panellists who expect to reach it")
    median_gap: float | None = Field(None, description="Estimates with a target: median − "
                                                       "target")
    later_share: float | None = Field(None, description='Years: the share answering "later"')
    median_later: bool | None = None
    q1_later: bool | None = None
    q3_later: bool | None = None
    options: list[RankedOption] | None = Field(None, description="Rankings: per option")
    w: float | None = Field(None, description="Rankings: Kendall's W (tie-corrected)")
    chi2: float | None = None
    df: int | None = None
    pvalue: float | None = None


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
