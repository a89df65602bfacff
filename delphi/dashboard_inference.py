"""The dashboard's inference section: the read model of :mod:`rounds.inference`
arranged for ``templates/dashboard/_inference.html`` (nothing computed here)."""
from __future__ import annotations

from dataclasses import dataclass

from delphi.core.models import Round
from delphi.core.policy import Policy
from rounds.inference import InferenceItem, RoundInference, round_inference


@dataclass(frozen=True)
class InferenceSection:
    inference: RoundInference
    #: Items with figures worth a row: attrition (dropouts rated them) and opinion change.
    attrition: list[InferenceItem]
    opinion: list[InferenceItem]
    translation: list[InferenceItem]


def inference_section(rnd: Round, *, policy: Policy, language: str | None,
                      subgroups: dict | None) -> InferenceSection:
    """The section of a frozen round (the caller checks that it is frozen)."""
    result = round_inference(rnd, policy=policy, language=language, subgroup_tables=subgroups)
    return InferenceSection(
        inference=result,
        attrition=[i for i in result.items if i.attrition and i.attrition.get("n_dropouts")],
        opinion=[i for i in result.items if i.opinion],
        translation=[i for i in result.items if i.translation and i.translation.get("flagged")],
    )
