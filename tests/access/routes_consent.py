"""Route × role table of consent and erasure: a study's information sheet and
consent text (the panel's page and API, the moderators' editor) and erasing
one's own account.

Run against the ``round1_open`` world: the panel is enrolled and has given
its consent (``tests.factories.open_round_of``). No row here changes state.
"""

from tests.access.routes_studies import ANON, mod

WORLD = "round1_open"

PANEL = {**ANON, "moderator": 403, "researcher": 403, "admin": 403}
PANEL_API = {"anonymous": 401, "member": 403, "moderator": 403, "researcher": 403, "admin": 403}

ROUTES = [
    # The panellist's page (delphi/views/panel_consent.py); posted empty: the box is not ticked.
    ("GET", "/panel/studies/{study}/consent", {**PANEL, "panellist": 200}),
    ("POST", "/panel/studies/{study}/consent", {**PANEL, "panellist": 422}),
    # The JSON API (delphi/api/consent.py); no body: 400 for the panellist.
    ("GET", "/api/v1/studies/{study}/consent", {**PANEL_API, "panellist": 200}),
    ("POST", "/api/v1/studies/{study}/consent", {**PANEL_API, "panellist": 400}),
    # The moderators' editor (delphi/views/study_consent.py); posted empty: the texts are required.
    ("GET", "/studies/{study}/consent", {**mod(200), "panellist": 403}),
    ("POST", "/studies/{study}/consent", {**mod(422), "panellist": 403}),
    # Erasing one's own account (delphi/views/account.py); posted empty: nothing is erased.
    ("GET", "/account/erase", {"anonymous": 302, "member": 200, "panellist": 200,
                               "moderator": 200, "researcher": 200, "admin": 200}),
    ("POST", "/account/erase", {"anonymous": 302, "member": 422, "panellist": 422,
                                "moderator": 422, "researcher": 422, "admin": 422}),
]
