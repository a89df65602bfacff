"""Members, tokens, task forces and memberships."""
from __future__ import annotations

from pydantic import Field

from delphi.api.schemas.base import Answer, Body, Id, Text, choice
from delphi.core.models import ApprovalStatus, TaskForceRole


class Registration(Body):
    """`POST /users`: a new member (the service checks each value)."""

    email: Text
    password: Text
    name: Text
    organisation: Text
    country: Text
    region: Text | None = None
    stakeholder_group: Text
    language: Text | None = None
    consent: bool = Field(description="The privacy notice is accepted (must be true).")


class User(Answer):
    id: Id
    email: str
    name: str
    organisation: str | None
    country: str
    region: str | None
    stakeholder_group: str
    language: str | None


class Accepted(Answer):
    """`POST /users`: the same whether or not the address had an account."""

    status: str = Field(description='"accepted"')
    message: str = Field(description="What happens next, in the caller's language")


class Credentials(Body):
    """`POST /auth/token`."""

    email: Text
    password: Text
    otp: Text | None = Field(None, description="The authenticator app's code, for an "
                                               "account with two-factor login")


class Token(Answer):
    token: str
    expires_at: str = Field(description="ISO 8601 date-time (UTC)")


class IndicatorBaseline(Answer):
    value: float | None = Field(description="None where the plan gives only words")
    year: int | None
    text: str = Field(description="The plan's words (or what qualifies the value); may be empty")


class IndicatorTarget(Answer):
    value: float | None = Field(description="None where the plan gives only words")
    text: str = Field(description="The plan's words (or what qualifies the value); may be empty")


class Indicator(Answer):
    """A measurable indicator of an objective, in English (as the other fields)."""

    id: Id
    name: str
    unit: str = Field(description="Empty for an indicator in words only")
    baseline: IndicatorBaseline
    target_2030: IndicatorTarget
    target_2050: IndicatorTarget


class TaskForce(Answer):
    code: str
    goal: str
    facility: str | None
    label: str
    objective: str
    baseline_2020: str
    target_2030: str
    target_2050: str
    indicators: list[Indicator] = Field(description="In the plan's order")


class MembershipRequest(Body):
    """`POST /task-forces/{code}/memberships`."""

    role: choice(*(r.value for r in TaskForceRole))
    region: Text | None = None


class Membership(Answer):
    task_force: str
    role: choice(*(r.value for r in TaskForceRole))
    region: str | None
    status: choice(*(s.value for s in ApprovalStatus))
