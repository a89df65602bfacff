"""Blueprints, one module per audience. Views are thin: load, check, call a service."""
from __future__ import annotations

from delphi import api
from delphi.views import (
    account,
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
    panel_consent,  # noqa: F401  (a page of the panel blueprint)
    panel_outcomes,  # noqa: F401  (pages of the panel blueprint)
    plan,
    preview,  # noqa: F401  (a page of the studies blueprint)
    studies,
    study_consent,  # noqa: F401  (a page of the studies blueprint)
    study_rounds,  # noqa: F401  (pages of the studies blueprint)
    study_translations,  # noqa: F401  (pages of the studies blueprint)
)

#: The modules whose blueprints the app registers, in order. ``items``,
#: ``preview``, ``study_rounds`` and ``study_translations`` add their pages to the ``studies`` blueprint.
BLUEPRINT_MODULES = (plan, auth, account, member, admin, api, studies, panel, dashboard, mail, exports)


def blueprints() -> list:
    """Every blueprint of the app, in registration order."""
    return [module.bp for module in BLUEPRINT_MODULES]
