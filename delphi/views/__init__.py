"""Blueprints, one module per audience. Views are thin: load, check, call a service."""
from __future__ import annotations

from delphi import api
from delphi.views import (
    admin,
    auth,
    dashboard,
    exports,
    mail,
    member,
    panel,
    plan,
    studies,
)

#: The modules whose blueprints the app registers, in order.
BLUEPRINT_MODULES = (plan, auth, member, admin, api, studies, panel, dashboard, mail, exports)


def blueprints() -> list:
    """Every blueprint of the app, in registration order."""
    return [module.bp for module in BLUEPRINT_MODULES]
