"""Route × role table of the dashboard blueprint and the charts API (issue 5).

Each entry: (method, path template, {role: expected status}). ``{study}`` is
the study's id; round 1 of it is open (no statistics yet). Roles: anonymous,
member (no role in the study), panellist, moderator (moderator only),
researcher, admin. POSTs carry no form data (tests run without CSRF). Web
pages send anonymous visitors to the login page (302); the API answers 401.

Closed-round pages and charts (200 with statistics) are covered in
``tests/test_dashboard.py`` and ``tests/test_charts_api.py``.
"""

#: The world of tests/access/README.md these statuses assume (round 1 open).
WORLD = "round1_open"

_STAFF_ONLY = {"anonymous": 302, "member": 403, "panellist": 403}
_API_STAFF_ONLY = {"anonymous": 401, "member": 403, "panellist": 403}

ROUTES = [
    ("GET", "/studies/{study}/dashboard",   # redirects to the open round
     {**_STAFF_ONLY, "moderator": 302, "researcher": 302, "admin": 302}),
    ("GET", "/studies/{study}/dashboard/rounds/1",
     {**_STAFF_ONLY, "moderator": 200, "researcher": 200, "admin": 200}),
    ("GET", "/studies/{study}/dashboard/rounds/1/charts/participation.png",
     {**_STAFF_ONLY, "moderator": 200, "researcher": 200, "admin": 200}),
    ("GET", "/studies/{study}/dashboard/rounds/1/charts/participation.svg",
     {**_STAFF_ONLY, "moderator": 200, "researcher": 200, "admin": 200}),
    ("GET", "/studies/{study}/dashboard/rounds/1/charts/verdicts.png",   # not closed yet
     {**_STAFF_ONLY, "moderator": 409, "researcher": 409, "admin": 409}),
    ("GET", "/studies/{study}/dashboard/rounds/1/charts/nope.png",
     {**_STAFF_ONLY, "moderator": 404, "researcher": 404, "admin": 404}),
    ("POST", "/studies/{study}/dashboard/rounds/1/remind",   # moderators only
     {**_STAFF_ONLY, "moderator": 303, "researcher": 403, "admin": 303}),
    ("GET", "/api/v1/studies/{study}/rounds/1/charts/participation.png",
     {**_API_STAFF_ONLY, "moderator": 200, "researcher": 200, "admin": 200}),
    ("GET", "/api/v1/studies/{study}/rounds/1/charts/concordance.svg",
     {**_API_STAFF_ONLY, "moderator": 200, "researcher": 200, "admin": 200}),
    ("GET", "/api/v1/studies/{study}/rounds/1/charts/verdicts.gif",
     {**_API_STAFF_ONLY, "moderator": 404, "researcher": 404, "admin": 404}),
]
