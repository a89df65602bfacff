"""Blueprints of later features (studies, rounds, dashboard, exports, mail)."""
from __future__ import annotations


def blueprints() -> list:
    return []


def home_sections(user) -> list[tuple[str, dict]]:
    """Extra sections of the member's home page: ``(template, context)`` pairs."""
    return []


def admin_links() -> list[tuple[str, str]]:
    """Extra links of the secretariat's menu: ``(endpoint, label)`` pairs."""
    return []
