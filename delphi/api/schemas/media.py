"""Query strings of the charts and the export."""
from __future__ import annotations

from pydantic import Field

from delphi.api.schemas.base import Body, Text, choice
from delphi.exports import FORMATS, TIERS


class ChartQuery(Body):
    criterion: Text | None = Field(None, description="A criterion of the study (default: the first)")


class ExportQuery(Body):
    tier: choice(*TIERS) = Field("deidentified", description="What the export may contain")
    format: choice(*FORMATS) = Field("csv", description="The data files' format")
    report: choice("true", "false") = Field(
        "true", description="Include the HTML report (drawing its charts takes a while)")
