"""The study report as PDF: the standalone HTML report laid out by WeasyPrint.

WeasyPrint needs Pango (Debian: ``libpango-1.0-0``, ``libpangoft2-1.0-0``) and
the fonts the stylesheet asks for (it falls back to DejaVu). The charts are
embedded as data URIs, so nothing is fetched: ``url_fetcher`` refuses every
other URL, and the PDF is built from what the report holds.

Laying out takes seconds, so the PDF is kept in the chart store under the
study's last closed round, keyed by the SHA-256 of the HTML it was laid out
from (:func:`delphi.exports.report.stored_document`): exports and downloads of
an unchanged report reuse it, from any worker, and a changed report is laid
out anew.
"""
from __future__ import annotations

from delphi.core.models import Study
from delphi.exports.report import render_report, report_context, stored_document


def render_pdf(study: Study, *, context: dict | None = None) -> bytes:
    """The report as PDF bytes (A4, numbered pages), in the current language."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html = render_report(study, standalone=True, context=context or report_context(study))

    def lay_out() -> bytes:
        # Only the report's own data URIs: never the network or the disk.
        fetcher = URLFetcher(allowed_protocols={"data"})
        return HTML(string=html, url_fetcher=fetcher).write_pdf()

    # Laid out once per report text, by any worker (WeasyPrint takes seconds).
    return stored_document(study, "report.pdf", "pdf", html, lay_out,
                           mimetype="application/pdf")
