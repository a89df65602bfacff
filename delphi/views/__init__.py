"""Blueprints, one module per audience. Views are thin: load, check, call a service."""
from __future__ import annotations

from delphi import api
from delphi.views import (
    admin,
    auth,
    dashboard,
    exports,
    items,  # noqa: F401  (pages of the studies blueprint)
    mail,
    member,
    moderation,  # noqa: F401  (pages of the studies blueprint)
    own_data,  # noqa: F401  (a page of the member blueprint)
    panel,
    panel_outcomes,  # noqa: F401  (pages of the panel blueprint)
    plan,
    preview,  # noqa: F401  (a page of the studies blueprint)
    studies,
    study_rounds,  # noqa: F401  (pages of the studies blueprint)
)

#: The modules whose blueprints the app registers, in order. ``items``,
#: ``preview`` and ``study_rounds`` add their pages to the ``studies`` blueprint.
BLUEPRINT_MODULES = (plan, auth, member, admin, api, studies, panel, dashboard, mail, exports)


def blueprints() -> list:
    """Every blueprint of the app, in registration order."""
    return [module.bp for module in BLUEPRINT_MODULES]
