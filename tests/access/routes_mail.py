"""Route × role table of the mail blueprint (issue 7).

Each entry: (method, path template, {role: expected status}). ``{study}`` is
the study's id, ``{round}`` its open round. Roles: anonymous, member (no role in the
study), panellist, moderator (moderator only), researcher, admin. POSTs carry
no form data. Web pages send anonymous visitors to the login page (302).

The magic-link pages are public by design: ``/q/<token>`` answers from the
token alone (an unknown token is 404 for everybody; a valid one is tested in
``tests/test_mail.py``), and ``/q/new`` gives everybody the same answer.
"""

_EVERYBODY = ("anonymous", "member", "panellist", "moderator", "researcher", "admin")

ROUTES = [
    ("GET", "/q/not-a-token", {role: 404 for role in _EVERYBODY}),
    ("POST", "/q/not-a-token", {role: 404 for role in _EVERYBODY}),
    ("GET", "/q/new", {role: 200 for role in _EVERYBODY}),
    ("POST", "/q/new", {role: 422 for role in _EVERYBODY}),   # no email given
    ("GET", "/studies/{study}/reminders",
     {"anonymous": 302, "member": 403, "panellist": 200, "moderator": 403,
      "researcher": 403, "admin": 403}),
    ("POST", "/studies/{study}/reminders/opt-out",   # the panellist gets the form error
     {"anonymous": 302, "member": 403, "panellist": 422, "moderator": 403,
      "researcher": 403, "admin": 403}),
    ("GET", "/studies/{study}/rounds/{round}/reminders",
     {"anonymous": 302, "member": 403, "panellist": 403, "moderator": 200,
      "researcher": 403, "admin": 200}),
    ("POST", "/studies/{study}/rounds/{round}/reminders",   # the confirmation page
     {"anonymous": 302, "member": 403, "panellist": 403, "moderator": 200,
      "researcher": 403, "admin": 200}),
    ("POST", "/studies/{study}/rounds/{round}/reminders",
     {"anonymous": 302, "member": 403, "panellist": 403, "moderator": 303,
      "researcher": 403, "admin": 303}, {"data": {"confirm": "yes"}}),
]
