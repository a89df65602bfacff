"""Route × role table of the studies and panel blueprints and the studies API (issue 4).

Each entry: (method, path template, {role: expected status}). ``{study}`` is
the study's id, in a study as ``tests.factories.build_study`` leaves it
(round 1 a draft with its items, nobody on the panel yet). Roles: anonymous,
member (no role in the study, on no panel), admin. Requests carry no body:
forms are posted empty, API calls send no JSON. Web pages send anonymous
visitors to the login page (302); the API answers 401.

The rows are written so that their statuses do not depend on the order they
run in: every POST fails validation or finds nothing to change, except the
few marked "changes state", which come last.
"""

#: The world of tests/access/README.md these statuses assume (round 1 a draft).
WORLD = "draft"

A302_M403 = {"anonymous": 302, "member": 403}
A401_M403 = {"anonymous": 401, "member": 403}

ROUTES = [
    # Staff pages (delphi/views/studies.py)
    ("GET", "/studies/", {"anonymous": 302, "member": 200, "admin": 200}),
    ("GET", "/studies/new", {**A302_M403, "admin": 200}),
    ("POST", "/studies/new", {**A302_M403, "admin": 422}),
    ("GET", "/studies/{study}", {**A302_M403, "admin": 200}),
    ("POST", "/studies/{study}/staff", {**A302_M403, "admin": 303}),
    ("POST", "/studies/{study}/staff/999999/remove", {**A302_M403, "admin": 404}),
    ("GET", "/studies/{study}/protocol", {**A302_M403, "admin": 200}),
    ("POST", "/studies/{study}/protocol", {**A302_M403, "admin": 422}),
    ("POST", "/studies/{study}/panellists", {**A302_M403, "admin": 303}),
    ("POST", "/studies/{study}/panellists/P-NOBODY/withdraw", {**A302_M403, "admin": 404}),
    ("GET", "/studies/{study}/items/new", {**A302_M403, "admin": 200}),
    ("POST", "/studies/{study}/items/new", {**A302_M403, "admin": 422}),
    ("GET", "/studies/{study}/items/999999", {**A302_M403, "admin": 404}),
    ("POST", "/studies/{study}/items/999999", {**A302_M403, "admin": 404}),
    ("GET", "/studies/{study}/rounds/1/merge", {**A302_M403, "admin": 200}),
    ("POST", "/studies/{study}/rounds/1/merge", {**A302_M403, "admin": 422}),
    ("POST", "/studies/{study}/rounds", {**A302_M403, "admin": 400}),  # no kind posted
    ("GET", "/studies/{study}/rounds/1", {**A302_M403, "admin": 200}),
    ("POST", "/studies/{study}/rounds/1/close", {**A302_M403, "admin": 303}),  # a draft: refused
    # Panellist pages (delphi/views/panel.py): the admin is on no panel.
    ("GET", "/panel/studies/{study}", {**A302_M403, "admin": 403}),
    ("POST", "/panel/studies/{study}/withdraw", {**A302_M403, "admin": 403}),
    ("GET", "/panel/studies/{study}/rounds/1", {**A302_M403, "admin": 403}),
    ("POST", "/panel/studies/{study}/rounds/1", {**A302_M403, "admin": 403}),
    ("POST", "/panel/studies/{study}/rounds/1/autosave", {**A302_M403, "admin": 403}),
    ("POST", "/panel/studies/{study}/rounds/1/proposals", {**A302_M403, "admin": 403}),
    # JSON API (delphi/api/studies.py)
    ("GET", "/api/v1/studies", {"anonymous": 401, "member": 200, "admin": 200}),
    ("POST", "/api/v1/studies", {**A401_M403, "admin": 400}),
    ("GET", "/api/v1/studies/{study}", {**A401_M403, "admin": 200}),
    ("POST", "/api/v1/studies/{study}/staff", {**A401_M403, "admin": 400}),
    ("POST", "/api/v1/studies/{study}/panellists", {**A401_M403, "admin": 400}),
    ("DELETE", "/api/v1/studies/{study}/panellists/P-NOBODY", {**A401_M403, "admin": 404}),
    ("POST", "/api/v1/studies/{study}/rounds", {**A401_M403, "admin": 400}),
    ("GET", "/api/v1/studies/{study}/rounds/1", {**A401_M403, "admin": 200}),
    ("PUT", "/api/v1/studies/{study}/rounds/1/response", {**A401_M403, "admin": 403}),
    ("GET", "/api/v1/studies/{study}/rounds/1/results", {**A401_M403, "admin": 409}),  # not closed
    ("POST", "/api/v1/studies/{study}/rounds/1/close", {**A401_M403, "admin": 409}),  # a draft
    # Changes state (last): open round 1, then end the study.
    ("POST", "/api/v1/studies/{study}/rounds/1/open", {**A401_M403, "admin": 200}),
    ("POST", "/studies/{study}/rounds/1/open", {**A302_M403, "admin": 303}),
    ("POST", "/studies/{study}/end", {**A302_M403, "admin": 303}),
]
