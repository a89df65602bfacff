"""Who a member is within a task force: one rule per attribute.

Every page and export that groups people (the dashboard's composition and
subgroups, the secretariat's task-force composition, the exports'
quasi-identifiers, the report) reads these attributes through
:func:`member_attributes`, so the same person shows the same region
everywhere.

* ``role``: the role of their membership of the task force (``none`` when
  they are not a member);
* ``region``: the region of that membership (a Regional Representative
  represents it), else the region of their profile, else ``unknown``;
* ``stakeholder_group``: from their profile (``other`` when not given);
* ``organisation_status``: their organisation's standing towards the
  initiative (``member``, ``partner`` or ``none``);
* ``language``: their interface language (``en`` when not chosen).
"""
from __future__ import annotations

from sqlalchemy import Select, and_, func, select

from delphi.core.models import Membership, Organisation, Region, User

ATTRIBUTES = ("role", "region", "stakeholder_group", "organisation_status", "language")
UNKNOWN_REGION = "unknown"
NO_ROLE = "none"
OTHER_GROUP = "other"


def member_attributes(task_force_id: int, *key_columns) -> Select:
    """A query of ``(*key_columns, role, region, stakeholder_group,
    organisation_status, language)`` with one row per user, outer-joined to
    their membership of the task force. Select from :class:`User` (join more
    tables, e.g. ``Panellist``, through ``key_columns`` and ``.join``)."""
    profile_region = Region.__table__.alias("profile_region")
    member_region = Region.__table__.alias("member_region")
    query = (
        select(*key_columns, Membership.role,
               func.coalesce(member_region.c.name, profile_region.c.name).label("region"),
               User.stakeholder_group, Organisation.status.label("organisation_status"),
               User.language)
        .select_from(User)
        .outerjoin(Membership, and_(Membership.user_id == User.id,
                                    Membership.task_force_id == task_force_id))
        .outerjoin(member_region, member_region.c.id == Membership.region_id)
        .outerjoin(profile_region, profile_region.c.id == User.region_id)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
    )
    return query


def attribute_values(role, region, stakeholder_group, organisation_status, language) -> dict[str, str]:
    """The attributes of one row of :func:`member_attributes` as plain strings."""
    return {
        "role": getattr(role, "value", role) or NO_ROLE,
        "region": region or UNKNOWN_REGION,
        "stakeholder_group": stakeholder_group or OTHER_GROUP,
        "organisation_status": getattr(organisation_status, "value", organisation_status) or "none",
        "language": language or "en",
    }
