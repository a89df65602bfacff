"""The codebook of an export: every column, its meaning and coding, the scale
labels, the consensus rule and the quantile method (Markdown and JSON)."""
from __future__ import annotations

import pandas as pd

from delphi.core.models import Study
from delphi.exports.anonymity import PSEUDONYM_HEX, SUPPRESSED
from delphi.exports.tiers import Tables
from rounds.studies import agree_band, consensus_rule

QUANTILE_TEXT = {
    "type7": "Hyndman & Fan type 7 (linear interpolation; the default of R, numpy, pandas and "
             "Excel QUARTILE.INC): h = (n - 1)p + 1, Q = x(floor h) + (h - floor h)(x(floor h + 1)"
             " - x(floor h)).",
    "type6": "Hyndman & Fan type 6 (SPSS, Minitab, Excel QUARTILE.EXC): h = (n + 1)p clamped to "
             "[1, n], then the same interpolation as type 7.",
    "hinges": "Tukey's hinges (R fivenum): lower hinge at depth floor((n + 3)/2)/2, upper hinge at "
              "n + 1 minus that depth, median at depth (n + 1)/2; half depths average the two "
              "neighbours.",
}

TABLE_TEXT = {
    "ratings": "One row per panellist x round x item x criterion of every closed round "
               "(submitted answers only), in random order.",
    "comments": "Each submitted comment on an item and each reason given for moving outside the "
                "previous round's IQR, with email addresses, phone numbers and URLs removed; "
                "in random order.",
    "item_statistics": "The statistics frozen when each round closed, per item and criterion.",
    "round_statistics": "Per round and criterion: participation and Kendall's W, frozen at close.",
    "stability": "Stability of each item between a round and the one before, frozen at close.",
}


def _columns(study: Study, points: int) -> dict[str, tuple[str, str, str]]:
    """name -> (type, meaning, coding)."""
    scale = f"integer 1..{points}"
    cols = {
        "pseudonym": ("text", "The panellist's export pseudonym.",
                      f"{PSEUDONYM_HEX} hex characters of HMAC-SHA256(per-study secret, panellist "
                      "number). The same panellist has the same pseudonym in every round and export "
                      "of this study, a different one in other studies."),
        "round": ("integer", "Round number.", "1 = first round."),
        "item_code": ("text", "The item's code.", "I01, I02, ... in order of creation; an item "
                      "carried unchanged to a later round keeps its code."),
        "item_text": ("text", "The item's statement as rated.", "Free text (English original)."),
        "criterion": ("text", "The criterion rated.", ", ".join(study.criteria)),
        "rating": (scale, "The rating.", "See the scale labels; empty when cannot_rate is true."),
        "cannot_rate": ("boolean", "The panellist answered \"cannot rate\".", "true / false"),
        "role": ("text", "The panellist's role in the task force (quasi-identifier).",
                 f"global_leader, regional_representative, team_member, none (not a member); "
                 f"'{SUPPRESSED}' "
                 "where generalised for k-anonymity."),
        "region": ("text", "The panellist's region (quasi-identifier): the region of their "
                   "task-force membership, else of their profile.",
                   f"Region name or unknown; '{SUPPRESSED}' where generalised for k-anonymity."),
        "stakeholder_group": ("text", "The panellist's stakeholder group (quasi-identifier).",
                              f"research, farmers, ngo, government, private_sector, "
                              f"international_organisation, funder, other; '{SUPPRESSED}' where "
                              "generalised for k-anonymity."),
        "kind": ("text", "What the text is.", "comment (on the item) or reason (for a rating "
                 "outside the previous IQR; criterion says which)."),
        "text": ("text", "The scrubbed free text.", "Contacts replaced by [email removed], "
                 "[phone removed], [URL removed]."),
        "n": ("integer", "Number of ratings (cannot rate and missing excluded).", ""),
        "n_missing": ("integer", "Panellists of the round without a rating of the item "
                      "(cannot rate).", ""),
        "median": ("number", "Median rating.", "The 0.5 quantile of the study's quantile method."),
        "q1": ("number", "First quartile.", "Study's quantile method."),
        "q3": ("number", "Third quartile.", "Study's quantile method."),
        "iqr": ("number", "Interquartile range.", "q3 - q1."),
        "mean": ("number", "Mean rating.", ""),
        "sd": ("number", "Standard deviation.", "Sample SD (denominator n - 1); empty when n < 2."),
        "agreement": ("number", "Share of ratings in the agreement band.", "0..1"),
        "disagreement": ("number", "Share of ratings in the disagreement band.", "0..1"),
        "verdict": ("text", "The item's verdict under the consensus rule.",
                    "consensus_in, consensus_out, no_consensus, insufficient_n"),
        "invited": ("integer", "Panellists invited to the round.", ""),
        "started": ("integer", "Panellists who started the round.", ""),
        "submitted": ("integer", "Panellists who submitted.", ""),
        "response_rate": ("number", "submitted / invited.", "0..1"),
        "w": ("number", "Kendall's W, tie-corrected.", "0..1; empty when undefined."),
        "w_uncorrected": ("number", "Kendall's W without the tie correction.", "0..1"),
        "chi2": ("number", "Friedman chi-square = m (n - 1) W.", ""),
        "df": ("integer", "Degrees of freedom, n - 1 items.", ""),
        "pvalue": ("number", "Upper-tail p of chi2.", ""),
        "n_raters": ("integer", "Panellists used for W (complete rows).", ""),
        "n_items": ("integer", "Items ranked for W.", ""),
        "n_dropped": ("integer", "Panellists left out of W for a missing rating.", ""),
    }
    for v in range(1, points + 1):
        label = _label(study, v)
        cols[f"count_{v}"] = ("integer", f"Number of ratings of {v} ({label}).", "")
    return cols


def _label(study: Study, value: int) -> str:
    labels = list(study.scale_labels or [])
    return labels[value - 1] if 0 < value <= len(labels) else str(value)


def consensus_text(study: Study) -> str:
    spec = dict(study.consensus_rule or {})
    if spec.pop("kind", "rule") == "rand_ucla":
        return ("RAND/UCLA appropriateness method: the median decides the category (1-3 "
                "inappropriate, 4-6 uncertain, 7-9 appropriate) and disagreement is judged by the "
                "IPRAS (interpercentile range adjusted for symmetry); Fitch et al. (2001).")
    return consensus_rule(study).describe()


def agreement_bands(study: Study) -> tuple[tuple[int, int], tuple[int, int]]:
    agree = tuple(agree_band(study))
    points = study.scale_points
    return agree, (1 + points - agree[1], 1 + points - agree[0])


def protocol(study: Study) -> dict:
    agree, disagree = agreement_bands(study)
    return {
        "scale": [1, int(study.scale_points)],
        "scale_points": int(study.scale_points),
        "scale_labels": {str(v): _label(study, v) for v in range(1, study.scale_points + 1)},
        "criteria": list(study.criteria),
        "consensus_rule": consensus_text(study),
        "consensus_rule_spec": study.consensus_rule,
        "quantile_method": study.quantile_method,
        "quantile_method_definition": QUANTILE_TEXT.get(study.quantile_method, ""),
        "agreement_band": list(agree),
        "disagreement_band": list(disagree),
        "min_n": study.min_n,
        "max_rounds": study.max_rounds,
    }


def build_codebook(study: Study, tables: Tables, fmt: str, files: dict[str, dict]) -> dict:
    """The codebook as a JSON-ready dict. ``files`` maps table name to
    ``{"file": ..., "sheets": [...]}``."""
    points = int(study.scale_points)
    known = _columns(study, points)
    out_tables = {}
    for name, frame in tables.frames.items():
        columns = []
        for col in frame.columns:
            kind, meaning, coding = known.get(col, _guess(frame[col], col))
            columns.append({"name": str(col), "type": kind, "meaning": meaning, "coding": coding})
        out_tables[name] = {**files.get(name, {}), "rows": int(len(frame)),
                            "description": TABLE_TEXT.get(name, ""), "columns": columns}
    return {
        "study": {"title": study.title,
                  "task_force": getattr(study.task_force, "code", None)},
        "tier": tables.tier,
        "format": fmt,
        "protocol": protocol(study),
        "anonymisation": {
            "pseudonyms": f"HMAC-SHA256 with a per-study secret key over the panellist's number, "
                          f"first {PSEUDONYM_HEX} hex characters; the key is never exported.",
            "removed": "names, email addresses, organisations, countries, user and panellist "
                       "numbers, in-app pseudonyms and every timestamp (only the round number).",
            "row_order": "Rows are shuffled with the operating system's CSPRNG.",
            "k_anonymity": tables.anonymity.to_dict() if tables.anonymity else None,
            "k_anonymity_method": (
                "Quasi-identifiers role, region and stakeholder group, one combination per "
                "panellist. While a combination is shared by fewer than k panellists, each of "
                "those panellists has the finest attribute they still show (most distinct "
                "values first) set to 'suppressed'; a too-small all-suppressed group is topped "
                "up from the largest groups, else everything is suppressed."),
            "comments": "Email addresses, phone numbers and URLs replaced by markers "
                        "(regular expressions; names in free text are not detected).",
        },
        "spreadsheet_escaping": "In CSV and XLSX a text cell starting with =, +, -, @, tab or "
                                "carriage return has a leading apostrophe (') added; remove it "
                                "to get the original text. Numbers are never escaped. JSON is "
                                "not escaped.",
        "missing_values": "An empty cell (CSV, XLSX) or null (JSON).",
        "tables": out_tables,
    }


def _guess(series: pd.Series, name: str) -> tuple[str, str, str]:
    if pd.api.types.is_bool_dtype(series.dtype):
        kind = "boolean"
    elif pd.api.types.is_integer_dtype(series.dtype):
        kind = "integer"
    elif pd.api.types.is_float_dtype(series.dtype):
        kind = "number"
    else:
        kind = "text"
    return kind, f"Stability figure '{name}' as frozen at close.", ""


def to_markdown(codebook: dict) -> str:
    p = codebook["protocol"]
    lines = [f"# Codebook: {codebook['study']['title']}", "",
             f"Tier: **{codebook['tier']}** · format: **{codebook['format']}**", "",
             "## Protocol", "",
             f"- Scale: {p['scale_points']} points",
             *[f"  - {v}: {label}" for v, label in p["scale_labels"].items()],
             f"- Criteria: {', '.join(p['criteria'])}",
             f"- Consensus rule: {p['consensus_rule']}",
             f"- Agreement band: {p['agreement_band'][0]}-{p['agreement_band'][1]}; "
             f"disagreement band: {p['disagreement_band'][0]}-{p['disagreement_band'][1]}",
             f"- Quantile method: `{p['quantile_method']}`: {p['quantile_method_definition']}",
             f"- Minimum n: {p['min_n']}; at most {p['max_rounds']} rounds", "",
             "## Anonymisation", ""]
    anon = codebook["anonymisation"]
    for key in ("pseudonyms", "removed", "row_order", "k_anonymity_method", "comments"):
        lines.append(f"- {key.replace('_', ' ').capitalize()}: {anon[key]}")
    if anon.get("k_anonymity"):
        k = anon["k_anonymity"]
        lines.append(f"- k = {k['k']} over {k['panellists']} panellists; values suppressed: "
                     + ", ".join(f"{a} {n}" for a, n in k["suppressed_values"].items())
                     + (f"; {k['topped_up']} panellists moved to the all-suppressed group"
                        if k["topped_up"] else "")
                     + ("; all quasi-identifiers suppressed" if k["all_suppressed"] else ""))
    lines += ["", f"Spreadsheet escaping: {codebook['spreadsheet_escaping']}",
              f"Missing values: {codebook['missing_values']}", "", "## Tables"]
    for name, table in codebook["tables"].items():
        where = table.get("file") or ", ".join(table.get("sheets", []))
        lines += ["", f"### {name}", "", f"{table['description']} ({table['rows']} rows; {where})",
                  "", "| column | type | meaning | coding |", "| --- | --- | --- | --- |"]
        for col in table["columns"]:
            cells = [col["name"], col["type"], col["meaning"], col["coding"]]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"
