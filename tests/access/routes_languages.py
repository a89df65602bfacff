"""Route × role table of the language menu, the profile page and a study's translations."""

from tests.access.routes_studies import mod

WORLD = "draft"

ROUTES = [
    # The language menu (delphi/views/account.py): no language posted, 400 for everyone.
    ("POST", "/language", {"anonymous": 400, "member": 400, "moderator": 400, "researcher": 400,
                           "admin": 400}),
    ("GET", "/account/profile", {"anonymous": 302, "member": 200, "moderator": 200,
                                 "researcher": 200, "admin": 200}),
    # An empty form: no language, no time zone (422, shown with its errors).
    ("POST", "/account/profile", {"anonymous": 302, "member": 422, "moderator": 422,
                                  "researcher": 422, "admin": 422}),
    # A study's texts in another language (delphi/views/study_translations.py).
    ("GET", "/studies/{study}/translations/fr", mod(200)),
    ("POST", "/studies/{study}/translations/es", mod(303)),  # nothing given: nothing translated
    ("GET", "/studies/{study}/translations/en", mod(404)),
]
