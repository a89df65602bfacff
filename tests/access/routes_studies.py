"""Route × role table of the study pages, the panel pages and the studies API (issue 4).

Run against the ``draft`` world (round 1 a draft with its items, nobody on the
panel yet; see README.md), with no body unless said. The rows whose outcome
changes the study come last, for the admin only (roles run admin last).
"""

WORLD = "draft"

ANON = {"anonymous": 302, "member": 403}          # a page nobody else may see
ANON_API = {"anonymous": 401, "member": 403}
PANEL_ONLY = {**ANON, "moderator": 403, "researcher": 403, "admin": 403}
ADMIN_ONLY = {**ANON, "moderator": 403, "researcher": 403}


def mod(moderator: int, admin: int | None = None) -> dict:
    """A moderators' page: the moderator and admin get ``moderator`` (or ``admin``)."""
    return {**ANON, "researcher": 403, "moderator": moderator,
            "admin": moderator if admin is None else admin}


ROUTES = [
    # Staff pages (delphi/views/studies.py)
    ("GET", "/studies/", {"anonymous": 302, "member": 200, "moderator": 200, "researcher": 200,
                          "admin": 200}),
    ("GET", "/studies/new", {**ADMIN_ONLY, "admin": 200}),
    ("POST", "/studies/new", {**ADMIN_ONLY, "admin": 422}),
    ("GET", "/studies/{study}", {**ANON, "moderator": 200, "researcher": 200, "admin": 200}),
    ("POST", "/studies/{study}/staff", {**ADMIN_ONLY, "admin": 303}),
    ("POST", "/studies/{study}/staff/999999/remove", {**ADMIN_ONLY, "admin": 404}),
    ("GET", "/studies/{study}/protocol", mod(200)),
    ("POST", "/studies/{study}/protocol", mod(422)),
    ("POST", "/studies/{study}/panellists", mod(303)),
    ("POST", "/studies/{study}/panellists/P-NOBODY/withdraw", mod(404)),
    ("GET", "/studies/{study}/panellists/P-NOBODY/withdraw", mod(404)),
    ("GET", "/studies/{study}/items/new", mod(200)),
    ("POST", "/studies/{study}/items/new", mod(422)),
    ("GET", "/studies/{study}/items/{item_id}", mod(200)),
    ("POST", "/studies/{study}/items/{item_id}", mod(422)),
    ("GET", "/studies/{study}/rounds/{round}/merge", mod(200)),
    ("POST", "/studies/{study}/rounds/{round}/merge", mod(422)),
    ("POST", "/studies/{study}/rounds", mod(400)),  # no kind posted
    ("GET", "/studies/{study}/rounds/{round}", {**ANON, "moderator": 200, "researcher": 200,
                                                "admin": 200}),
    # Confirmation pages (docs/safeguards.md): a draft cannot close, the page says so.
    ("GET", "/studies/{study}/rounds/{round}/close", mod(200)),
    ("POST", "/studies/{study}/rounds/{round}/close", mod(200)),
    ("POST", "/studies/{study}/rounds/{round}/close", mod(303), {"data": {"confirm": "yes"}}),
    ("GET", "/studies/{study}/end", mod(200)),
    ("GET", "/studies/{study}/rounds/{round}/preview", mod(200)),
    # Panellist pages (delphi/views/panel.py): nobody here is on the panel yet.
    ("GET", "/panel/studies/{study}", PANEL_ONLY),
    ("POST", "/panel/studies/{study}/withdraw", PANEL_ONLY),
    ("GET", "/panel/studies/{study}/withdraw", PANEL_ONLY),
    ("GET", "/panel/studies/{study}/rounds/{round}", PANEL_ONLY),
    ("POST", "/panel/studies/{study}/rounds/{round}", PANEL_ONLY),
    ("POST", "/panel/studies/{study}/rounds/{round}/autosave", PANEL_ONLY),
    ("POST", "/panel/studies/{study}/rounds/{round}/proposals", PANEL_ONLY),
    # JSON API (delphi/api/studies.py, rounds.py, answers.py)
    ("GET", "/api/v1/studies", {"anonymous": 401, "member": 200, "moderator": 200,
                                "researcher": 200, "admin": 200}),
    ("POST", "/api/v1/studies", {**ANON_API, "moderator": 403, "researcher": 403, "admin": 400}),
    ("GET", "/api/v1/studies/{study}", {**ANON_API, "moderator": 200, "researcher": 200, "admin": 200}),
    ("POST", "/api/v1/studies/{study}/staff", {**ANON_API, "moderator": 403, "researcher": 403,
                                               "admin": 400}),
    ("POST", "/api/v1/studies/{study}/panellists", {**ANON_API, "moderator": 400, "researcher": 403,
                                                    "admin": 400}),
    ("DELETE", "/api/v1/studies/{study}/panellists/P-NOBODY",
     {**ANON_API, "moderator": 404, "researcher": 403, "admin": 404}),
    ("POST", "/api/v1/studies/{study}/rounds", {**ANON_API, "moderator": 400, "researcher": 403,
                                                "admin": 400}),
    ("GET", "/api/v1/studies/{study}/rounds/{round}",
     {**ANON_API, "moderator": 200, "researcher": 200, "admin": 200}),  # staff see drafts
    ("PUT", "/api/v1/studies/{study}/rounds/{round}/response",
     {**ANON_API, "moderator": 403, "researcher": 403, "admin": 403}),  # not on the panel
    ("GET", "/api/v1/studies/{study}/rounds/{round}/results",
     {**ANON_API, "moderator": 409, "researcher": 409, "admin": 409}),  # not closed yet
    ("POST", "/api/v1/studies/{study}/rounds/{round}/close",
     {**ANON_API, "moderator": 409, "researcher": 403, "admin": 409}),  # a draft
    # Changes the study (the admin only, last): open round 1, edit it (refused), end the study.
    ("POST", "/api/v1/studies/{study}/rounds/{round}/open", {**ANON_API, "researcher": 403, "admin": 200}),
    ("POST", "/studies/{study}/rounds/{round}", {**ANON, "researcher": 403, "admin": 303}),
    ("POST", "/studies/{study}/rounds/{round}/open", {**ANON, "researcher": 403, "admin": 303}),
    ("POST", "/studies/{study}/end", {**ANON, "researcher": 403, "admin": 200}),  # the confirmation
    ("POST", "/studies/{study}/end", {**ANON, "researcher": 403, "admin": 303},
     {"data": {"confirm": "yes"}}),
]
