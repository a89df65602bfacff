"""Route × role table of the exports blueprint and API (issue 6).

Each entry: (method, path template, {role: expected status}). ``{study}`` is
the study's id. Roles: anonymous, member (no role in the study), panellist,
moderator (moderator only), researcher, admin. Web pages send anonymous
visitors to the login page (302); the API answers 401. World: round 1
closed, round 2 open (the default), so there is something to export.
"""

WORLD = "round2_open"

ROUTES = [
    ("GET", "/studies/{study}/exports",
     {"anonymous": 302, "member": 403, "panellist": 403, "moderator": 403,
      "researcher": 200, "admin": 200}),
    ("GET", "/studies/{study}/report",
     {"anonymous": 302, "member": 403, "panellist": 403, "moderator": 403,
      "researcher": 200, "admin": 200}),
    ("GET", "/studies/{study}/report.pdf",
     {"anonymous": 302, "member": 403, "panellist": 403, "moderator": 403,
      "researcher": 200, "admin": 200}),
    ("GET", "/studies/{study}/report.docx",
     {"anonymous": 302, "member": 403, "panellist": 403, "moderator": 403,
      "researcher": 200, "admin": 200}),
    # The checklists' authors: researchers and moderators of the study, and admins.
    ("GET", "/studies/{study}/exports/checklists",
     {"anonymous": 302, "member": 403, "panellist": 403, "moderator": 200,
      "researcher": 200, "admin": 200}),
    ("POST", "/studies/{study}/exports/checklists",
     {"anonymous": 302, "member": 403, "panellist": 403, "moderator": 422,
      "researcher": 422, "admin": 422}),
    # Downloads append an audit event: last.
    ("POST", "/studies/{study}/exports/deidentified",
     {"anonymous": 302, "member": 403, "panellist": 403, "moderator": 403,
      "researcher": 200, "admin": 200},
     {"data": {"deidentified-tier": "deidentified", "deidentified-format": "csv"}}),
    ("POST", "/studies/{study}/exports/statistics",
     {"anonymous": 302, "member": 403, "panellist": 403, "moderator": 403,
      "researcher": 422, "admin": 422}),
    ("GET", "/api/v1/studies/{study}/export?tier=deidentified&format=csv",
     {"anonymous": 401, "member": 403, "panellist": 403, "moderator": 403,
      "researcher": 200, "admin": 200}),
]
