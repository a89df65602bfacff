"""The study report as PDF: the standalone HTML report laid out by WeasyPrint.

WeasyPrint needs Pango (Debian: ``libpango-1.0-0``, ``libpangoft2-1.0-0``) and
the fonts the stylesheet asks for (it falls back to DejaVu). The charts are
embedded as data URIs, so nothing is fetched: ``url_fetcher`` refuses every
other URL, and the PDF is built from what the report holds.
"""
from __future__ import annotations

from delphi.core.models import Study
from delphi.exports.report import render_report, report_context


def render_pdf(study: Study, *, context: dict | None = None) -> bytes:
    """The report as PDF bytes (A4, numbered pages), in the current language."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html = render_report(study, standalone=True, context=context or report_context(study))
    # Only the report's own data URIs: never the network or the disk.
    fetcher = URLFetcher(allowed_protocols={"data"})
    return HTML(string=html, url_fetcher=fetcher).write_pdf()
