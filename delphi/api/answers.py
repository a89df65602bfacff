"""``PUT /api/v1/studies/{study_id}/rounds/{number}/response``: a panellist's answers.

The schema parses the JSON types (a rating's value, with its ``criterion``, a
whole number or null; another kind's, without one, any of the kinds' shapes);
:func:`rounds.save_answers` checks the items, the criteria, the scale, each
kind's answer (its shape, its bounds, the order of quantiles, the options of a
ranking) and, at submission, completeness, naming each wrong field
(``ratings[3].value``, ``ratings[3].value.p50``, ``"<item_id>:<criterion>.value"``). An incomplete
submission keeps the answers given as a draft (the unit of work commits them)
and the 422 names what is missing.
"""
from __future__ import annotations

import rounds
from delphi.access import get_study, panellist_of, require
from delphi.api.common import current_api_user
from delphi.api.operations import ok, operation, request_body
from delphi.api.schemas.rounds import Answers, SavedResponse
from delphi.unit_of_work import unit_of_work


def answer_set(body: Answers) -> rounds.AnswerSet:
    """The body's ratings (and the comments given with them) as a :class:`rounds.AnswerSet`."""
    ratings, comments = [], {}
    for entry in body.ratings:
        if entry.comment is not None:
            comments[entry.item] = entry.comment
        ratings.append(rounds.RatingInput(item_id=entry.item, criterion=entry.criterion,
                                          value=entry.value, reason=entry.reason or None))
    return rounds.AnswerSet(ratings=ratings, comments=comments)


@operation("PUT", "/studies/{study_id}/rounds/{number}/response",
           summary="Save or submit the caller's answers (panellist)", tag="studies", body=Answers,
           answers={200: ok("Saved", SavedResponse)}, errors=(403, 404, 409))
@unit_of_work
def put_response(study_id: int, number: int):
    study = get_study(study_id)
    panellist = panellist_of(current_api_user(), study)
    require(panellist is not None)
    round_ = rounds.get_round(study, number)
    body = request_body()
    response = rounds.save_answers(round_, panellist, answer_set(body), submit=bool(body.submit),
                                   submit_key=body.submit_key)
    return {"status": response.status.value}
