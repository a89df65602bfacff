"""Blueprints of later features (studies, rounds, dashboard, exports, mail)."""
from __future__ import annotations


def blueprints() -> list:
    from delphi.api import studies as _api_studies  # noqa: F401  (routes on the API blueprint)
    from delphi.views.panel import bp as panel
    from delphi.views.studies import bp as studies

    from delphi.views.dashboard import bp as dashboard
    from delphi.views.mail import bp as mail
    from delphi.views.exports import bp as exports

    return [studies, panel, dashboard, mail, exports]


def home_sections(user) -> list[tuple[str, dict]]:
    """Extra sections of the member's home page: ``(template, context)`` pairs."""
    from delphi.views.panel import home_section as panel_section
    from delphi.views.studies import home_section as staff_section

    from delphi.views.dashboard import home_section as dashboard_section

    return panel_section(user) + staff_section(user) + dashboard_section(user)


def admin_links() -> list[tuple[str, str]]:
    """Extra links of the secretariat's menu: ``(endpoint, label)`` pairs."""
    from flask_babel import lazy_gettext as _l

    return [("studies.index", _l("Delphi studies"))]
