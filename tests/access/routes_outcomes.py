"""Route × role table of what panellists get back (their round's results, the
final list, receipts, their own data) and of the moderation of comments.

Run against the ``draft`` world: nobody is on the panel yet, so the panel's
pages are refused to everyone, and round 1 has not closed.
"""

from tests.access.routes_studies import PANEL_ONLY, mod

WORLD = "draft"

ROUTES = [
    # A user's own data (delphi/views/member.py): their own only, any member.
    ("GET", "/me/data.json", {"anonymous": 302, "member": 200, "moderator": 200,
                              "researcher": 200, "admin": 200}),
    # The panel's results, final list and receipts (delphi/views/panel.py).
    ("GET", "/panel/studies/{study}/final", PANEL_ONLY),
    ("GET", "/panel/studies/{study}/rounds/{round}/summary", PANEL_ONLY),
    ("GET", "/panel/studies/{study}/rounds/{round}/receipt", PANEL_ONLY),
    ("POST", "/panel/studies/{study}/rounds/{round}/receipt", PANEL_ONLY),
    # The moderation of a round's comments and reasons (delphi/views/moderation.py).
    ("GET", "/studies/{study}/rounds/{round}/moderation", mod(200)),
    # Nothing chosen: back to the page with "Choose approve, edit or hide." (nothing changed).
    ("POST", "/studies/{study}/rounds/{round}/moderation", mod(303)),
]
