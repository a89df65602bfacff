"""``/api/v1/studies/{study_id}/consent``: a panellist reads the study's
information sheet and consent text (in the caller's language) and accepts
the current version. ``rounds.consent`` holds the rules: until the current
version is accepted, saving answers is refused with 409."""
from __future__ import annotations

import rounds
from delphi.access import get_study, panellist_of, require
from delphi.api.common import current_api_user
from delphi.api.operations import ok, operation, request_body
from delphi.api.schemas.studies import ConsentAcceptance, ConsentState
from delphi.i18n import current_language
from delphi.unit_of_work import unit_of_work


def _state(study, panellist) -> dict:
    version = rounds.current_version(study)
    language = current_language()
    record = next((r for r in rounds.consent_records(panellist)
                   if version is not None and r.version_id == version.id), None)
    return {"version": version.version if version else None, "language": language,
            "information_sheet": version.text_in("information_sheet", language) if version else "",
            "consent_text": version.text_in("consent_text", language) if version else "",
            "withdrawal": study.withdrawal or "keep", "accepted": record is not None,
            "accepted_at": record.accepted_at.isoformat() if record else None}


def _caller(study_id: int):
    study = get_study(study_id)
    panellist = panellist_of(current_api_user(), study)
    require(panellist is not None)
    return study, panellist


@operation("GET", "/studies/{study_id}/consent",
           summary="The study's information sheet and consent text (panellist)", tag="studies",
           answers={200: ok("The current version, and whether the caller accepted it",
                            ConsentState)}, errors=(403, 404))
def get_consent(study_id: int):
    return _state(*_caller(study_id))


@operation("POST", "/studies/{study_id}/consent",
           summary="Accept the current version of the consent (panellist)", tag="studies",
           body=ConsentAcceptance,
           answers={200: ok("Accepted", ConsentState)}, errors=(403, 404, 409))
@unit_of_work
def post_consent(study_id: int):
    study, panellist = _caller(study_id)
    rounds.accept_consent(panellist, request_body().version, language=current_language())
    return _state(study, panellist)
