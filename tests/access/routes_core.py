"""Route × role table of the foundation: plan, accounts, member and admin pages, the API's base.

No study needed. Requests carry no body: forms are posted empty (400/422 for
the allowed role, 303 where the admin page flashes and redirects), API calls
send no JSON (400). Web pages send anonymous visitors to the login page
(302); the API answers 401. Rows that end a session or revoke a token come
last.
"""

WORLD = "none"

ALL_200 = {"anonymous": 200, "member": 200, "admin": 200}
LOGIN_200 = {"anonymous": 302, "member": 200, "admin": 200}
ADMIN_200 = {"anonymous": 302, "member": 403, "admin": 200}
ADMIN_303 = {"anonymous": 302, "member": 403, "admin": 303}

ROUTES = [
    # The strategic plan (delphi/views/plan.py): public.
    ("GET", "/", ALL_200),
    ("GET", "/task-forces/{code}", ALL_200),
    ("GET", "/panel/help", ALL_200),  # what a Delphi round is (delphi/views/panel.py): public
    ("GET", "/favicon.ico", ALL_200),  # the site's icon (an SVG): public
    ("GET", "/accessibility", ALL_200),  # the accessibility statement (delphi/views/plan.py): public
    ("GET", "/task-forces/Z9", {"anonymous": 404, "member": 404, "admin": 404}),
    # Accounts (delphi/views/auth.py).
    ("GET", "/register", ALL_200),
    ("POST", "/register", {"anonymous": 422, "member": 422, "admin": 422}),
    ("GET", "/login", ALL_200),
    ("POST", "/login", {"anonymous": 400, "member": 400, "admin": 400}),
    ("GET", "/login/code", {"anonymous": 303, "member": 303, "admin": 303}),  # no password step
    ("POST", "/login/code", {"anonymous": 303, "member": 303, "admin": 303}),
    ("GET", "/account/two-factor", {"anonymous": 302, "member": 403, "admin": 200}),
    ("POST", "/account/two-factor", {"anonymous": 302, "member": 403, "admin": 422}),
    ("GET", "/account/password", LOGIN_200),
    ("POST", "/account/password", {"anonymous": 302, "member": 422, "admin": 422}),
    # The member's pages (delphi/views/member.py).
    ("GET", "/me", LOGIN_200),
    ("GET", "/task-forces/{code}/join", LOGIN_200),
    ("POST", "/task-forces/{code}/join", {"anonymous": 302, "member": 422, "admin": 422}),
    ("GET", "/task-forces/Z9/join", {"anonymous": 302, "member": 404, "admin": 404}),
    # The secretariat (delphi/views/admin.py).
    ("GET", "/admin/", {"anonymous": 302, "member": 403, "admin": 302}),
    ("GET", "/admin/applications", ADMIN_200),
    ("POST", "/admin/applications/{membership_id}", ADMIN_303),  # no decision: flashed
    ("POST", "/admin/applications/999999", {"anonymous": 302, "member": 403, "admin": 404}),
    ("GET", "/admin/organisations", ADMIN_200),
    ("POST", "/admin/organisations/{org_id}/status", ADMIN_303),  # no status: flashed
    ("GET", "/admin/task-forces/{code}", ADMIN_200),
    ("GET", "/admin/task-forces/Z9", {"anonymous": 302, "member": 403, "admin": 404}),
    ("GET", "/admin/indicators/{indicator_id}", ADMIN_200),
    ("GET", "/admin/indicators/999999", {"anonymous": 302, "member": 403, "admin": 404}),
    # An empty form: the name is required (422, the form shown with its errors).
    ("POST", "/admin/indicators/{indicator_id}", {"anonymous": 302, "member": 403, "admin": 422}),
    # The API's base (delphi/api/accounts.py, plan.py, openapi.py).
    ("GET", "/api/v1/openapi.json", ALL_200),
    ("GET", "/api/v1/task-forces", ALL_200),
    ("GET", "/api/v1/task-forces/{code}", ALL_200),
    ("GET", "/api/v1/task-forces/Z9", {"anonymous": 404, "member": 404, "admin": 404}),
    ("POST", "/api/v1/task-forces/{code}/memberships", {"anonymous": 401, "member": 400, "admin": 400}),
    ("POST", "/api/v1/users", {"anonymous": 400, "member": 400, "admin": 400}),
    ("POST", "/api/v1/auth/token", {"anonymous": 400, "member": 400, "admin": 400}),
    ("GET", "/api/v1/me", {"anonymous": 401, "member": 200, "admin": 200}),
    # Last: these end the session and revoke the token.
    ("DELETE", "/api/v1/auth/token", {"anonymous": 401, "member": 204, "admin": 204}),
    ("POST", "/logout", {"anonymous": 302, "member": 302, "admin": 302}),
]
