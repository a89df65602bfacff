"""Route × role table of the dashboard blueprint and the charts API (issue 5).

World ``round2_open``: round 1 answered and closed (frozen statistics), round
2 open. Only staff of the study (moderator, researcher) and admins see the
dashboard; panellists and other members get 403. Web pages send anonymous
visitors to the login page (302); the API answers 401. The Remind POST
changes state (it queues reminders), so it comes last.

Numbers, anonymity and caching are tested in ``tests/test_dashboard.py`` and
``tests/test_charts_api.py``.
"""

WORLD = "round2_open"

_WEB = {"anonymous": 302, "member": 403, "panellist": 403}
_API = {"anonymous": 401, "member": 403, "panellist": 403}


def _staff(status: int) -> dict:
    return {"moderator": status, "researcher": status, "admin": status}


_D = "/studies/{study}/dashboard"
_A = "/api/v1/studies/{study}"

ROUTES = [
    ("GET", _D, {**_WEB, **_staff(302)}),   # to the open round
    ("GET", _D + "/rounds/{round}", {**_WEB, **_staff(200)}),
    ("GET", _D + "/rounds/{closed_round}", {**_WEB, **_staff(200)}),
    ("GET", _D + "/rounds/{closed_round}/charts/verdicts.png", {**_WEB, **_staff(200)}),
    ("GET", _D + "/rounds/{closed_round}/charts/convergence.svg", {**_WEB, **_staff(200)}),
    ("GET", _D + "/rounds/{round}/charts/verdicts.png", {**_WEB, **_staff(409)}),  # not closed
    ("GET", _D + "/rounds/{round}/charts/participation.svg", {**_WEB, **_staff(200)}),
    ("GET", _D + "/rounds/{closed_round}/charts/nope.png", {**_WEB, **_staff(404)}),
    ("GET", _D + "/rounds/{closed_round}/items/{item_id}", {**_WEB, **_staff(200)}),
    ("GET", _D + "/rounds/{closed_round}/items/{item_id}/distribution.png",
     {**_WEB, **_staff(200)}),
    # The charts of an item of another kind (the world's item is a rating: no target chart).
    ("GET", _D + "/rounds/{closed_round}/items/{item_id}/charts/target.png",
     {**_WEB, **_staff(404)}),
    ("GET", _A + "/rounds/{closed_round}/charts/verdicts.png", {**_API, **_staff(200)}),
    ("GET", _A + "/rounds/{closed_round}/items/{item_id}/target.png", {**_API, **_staff(404)}),
    ("GET", _A + "/rounds/{closed_round}/charts/concordance.svg", {**_API, **_staff(200)}),
    ("GET", _A + "/rounds/{round}/charts/convergence.png", {**_API, **_staff(409)}),
    ("GET", _A + "/rounds/{closed_round}/charts/verdicts.gif", {**_API, **_staff(404)}),
    ("GET", _A + "/rounds/{closed_round}/items/{item_id}/distribution.svg",
     {**_API, **_staff(200)}),
    # Nothing ticked: the confirmation page (docs/safeguards.md); with it, reminders are
    # queued (moderators and admins only).
    ("POST", _D + "/rounds/{round}/remind",
     {**_WEB, "moderator": 200, "researcher": 403, "admin": 200}),
    ("POST", _D + "/rounds/{round}/remind",
     {**_WEB, "moderator": 303, "researcher": 403, "admin": 303}, {"data": {"confirm": "yes"}}),
]
