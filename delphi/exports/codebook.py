"""The codebook of an export: every column, its meaning and coding, the scale
labels, the consensus rules and the quantile method (Markdown and JSON).

Everything is written in the export's language (the reader's, through
gettext); column names, codes and types stay as they are in the files. The
answer columns of the question kinds other than rating are described in the
registry's own words (``Kind.export_columns``)."""
from __future__ import annotations

import pandas as pd
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from delphi.core.models import Study
from delphi.exports.anonymity import PSEUDONYM_HEX, SUPPRESSED
from delphi.exports.tiers import ANSWER_TABLES, Tables, kind_columns, read_items
from delphi.i18n import current_language
from rounds.kinds import consensus_settings, kind_label
from rounds.studies import agree_band, consensus_rule

QUANTILE_TEXT = {
    "type7": _l("Hyndman & Fan type 7 (linear interpolation; the default of R, numpy, pandas and "
                "Excel QUARTILE.INC): h = (n - 1)p + 1, Q = x(floor h) + (h - floor h)(x(floor h "
                "+ 1) - x(floor h))."),
    "type6": _l("Hyndman & Fan type 6 (SPSS, Minitab, Excel QUARTILE.EXC): h = (n + 1)p clamped "
                "to [1, n], then the same interpolation as type 7."),
    "hinges": _l("Tukey's hinges (R fivenum): lower hinge at depth floor((n + 3)/2)/2, upper hinge "
                 "at n + 1 minus that depth, median at depth (n + 1)/2; half depths average the "
                 "two neighbours."),
}

TABLE_TEXT = {
    "ratings": _l("One row per panellist x round x item x criterion of every closed round "
                  "(submitted answers only), in random order."),
    "comments": _l("Each submitted comment on an item and each reason given for moving outside "
                   "the previous round's IQR, with email addresses, phone numbers and URLs "
                   "removed; in random order."),
    "item_statistics": _l("The statistics frozen when each round closed, per item and "
                          "criterion."),
    "round_statistics": _l("Per round and criterion: participation and Kendall's W, frozen at "
                           "close."),
    "stability": _l("Stability of each item between a round and the one before, frozen at "
                    "close."),
}


def table_texts() -> dict[str, str]:
    """What each table of the question kinds holds, in the export's language."""
    answers = _("One row per panellist x round x item of every closed round (submitted answers "
                "only), in random order, with the same pseudonyms and quasi-identifiers as the "
                "ratings table; then the kind's own columns.")
    return {
        "amendments": _("Every change to the protocol after it was locked (when round 1 "
                        "opened): date, field, value before and after, and the reason given."),
        "lineage": _("Every item's lineage: new, reworded from one item or merged from "
                     "proposals or items, and the rounds that held it."),
        "estimates": _("Answers to the estimate items.") + " " + answers,
        "probabilities": _("Answers to the probability items.") + " " + answers,
        "years": _("Answers to the year items.") + " " + answers,
        "rankings": _("Answers to the ranking items.") + " " + answers,
        "items": _("Every item of the study: its question kind and the kind's parameters "
                   "(empty where a parameter is not the kind's)."),
        "kind_statistics": _("The statistics frozen when each round closed, per item of a kind "
                             "other than rating (one row per round x item); a column that is not "
                             "the kind's is empty."),
        "ranking_option_statistics": _("Per round, ranking item and option: the option's mean "
                                       "rank, rank sum and top-three share, frozen at close."),
    }


def _provenance_columns() -> dict[str, dict[str, tuple[str, str, str]]]:
    """The columns of the ``amendments`` and ``lineage`` tables."""
    codes = _("Item codes separated by spaces; empty when none.")
    return {
        "amendments": {
            "date": ("text", _("The day of the amendment (UTC)."), "YYYY-MM-DD"),
            "field": ("text", _("The protocol field changed."), _("A protocol field name.")),
            "old_value": ("text", _("The value before."), _("JSON, or the text as it was.")),
            "new_value": ("text", _("The value after."), _("JSON, or the text as it is.")),
            "reason": ("text", _("The reason given for the amendment."), ""),
        },
        "lineage": {
            "item_code": ("text", _("The item's code."), "I01, I02, ..."),
            "kind": ("text", _("The item's question kind."),
                     "rating, estimate, probability, year, ranking"),
            "origin": ("text", _("Where the item came from."),
                       _("new; reworded (from one item); merged (from proposals of an "
                         "open round, or from several items).")),
            "from_items": ("text", _("The items it was reworded or merged from."), codes),
            "from_proposals": ("integer", _("Number of panellists' proposals merged into it."),
                               ""),
            "rounds": ("text", _("The rounds that held the item."),
                       _("Round numbers separated by spaces.")),
            "first_round": ("integer", _("The first round that held it."), _("Empty: none.")),
            "last_round": ("integer", _("The last round that held it."), _("Empty: none.")),
            "replaced_by": ("text", _("The items that reworded or merged it."), codes),
        },
    }


def _kind_table_columns() -> dict[str, dict[str, tuple[str, str, str]]]:
    """The columns of the question kinds' tables whose meaning is their table's:
    table -> name -> (type, meaning, coding)."""
    later = _("true / false; \"later\" ranks above every year; empty for other kinds.")
    ranking_only = _("Empty for other kinds.")
    stats = {
        "kind": ("text", _("The item's question kind."), "estimate, probability, year, ranking"),
        "n": ("integer", _("Number of answers (\"cannot answer\" excluded)."), ""),
        "n_missing": ("integer", _("Panellists of the round who answered \"cannot answer\"."), ""),
        "median": ("number", _("Median of the answers: the P50s (or single values) of an "
                               "estimate, the percentages of a probability, the years of a year "
                               "item."),
                   _("The 0.5 quantile of the study's quantile method; empty for a year item "
                     "when it is \"later\" (median_later), and for rankings.")),
        "q1": ("number", _("First quartile of the same answers."),
               _("Study's quantile method; empty when it is \"later\" (q1_later), and for "
                 "rankings.")),
        "q3": ("number", _("Third quartile of the same answers."),
               _("Study's quantile method; empty when it is \"later\" (q3_later), and for "
                 "rankings.")),
        "iqr": ("number", _("Interquartile range, q3 - q1 (probabilities: percentage points; "
                            "years: years)."),
                _("Empty when q1 or q3 is \"later\", and for rankings.")),
        "dispersion": ("number", _("Estimate: quartile coefficient of dispersion, "
                                   "(q3 - q1) / (q3 + q1)."),
                       _("Empty when an answer is below 0 or q3 + q1 is 0 (see dispersion_basis).")),
        "dispersion_basis": ("text", _("Estimate: the figure the consensus rule compared with "
                                       "its threshold."),
                             _("quartile: dispersion; range: relative_iqr (some answer is below 0, "
                               "or q3 + q1 is 0).")),
        "relative_iqr": ("number", _("Estimate: the IQR divided by the item's range (max - min), "
                                     "used when the dispersion is undefined."),
                         _("Empty when dispersion_basis is quartile.")),
        "aggregate_p10": ("number", _("Estimate with quantiles: the panel's aggregate 10th "
                                      "percentile, the mean of the panellists' P10s."),
                          _("Quantile averaging over the panellists who gave all three values.")),
        "aggregate_p50": ("number", _("Estimate with quantiles: the panel's aggregate 50th "
                                      "percentile, the mean of the panellists' P50s."),
                          _("Quantile averaging over the panellists who gave all three values.")),
        "aggregate_p90": ("number", _("Estimate with quantiles: the panel's aggregate 90th "
                                      "percentile, the mean of the panellists' P90s."),
                          _("Quantile averaging over the panellists who gave all three values.")),
        "target_share": ("number", _("Estimate with a target: share of the answering panellists "
                                     "whose P50 (or value) reaches the target."),
                         _("0..1; reaching is at least the target (direction up) or at most "
                           "the target (direction down).")),
        "median_gap": ("number", _("Estimate with a target: the median minus the target value."),
                       _("In the item's unit; positive when the median lies above the target.")),
        "direction": ("text", _("Estimate with a target: which way the target lies from the "
                                "baseline."),
                      _("up: reached at or above the target; down (a target below the "
                        "baseline): reached at or below it.")),
        "later_share": ("number", _("Year: share of the answers that are \"later\"."), "0..1"),
        "n_later": ("integer", _("Year: number of answers \"later\"."), ""),
        "median_later": ("boolean", _("Year: the median is \"later\"."), later),
        "q1_later": ("boolean", _("Year: the first quartile is \"later\"."), later),
        "q3_later": ("boolean", _("Year: the third quartile is \"later\"."), later),
        "w": ("number", _("Ranking: Kendall's W of the panellists' rankings of the options, "
                          "tie-corrected."),
              _("0..1; empty when undefined (fewer than two rankings).")),
        "w_uncorrected": ("number", _("Ranking: Kendall's W without the tie correction."),
                          ranking_only),
        "chi2": ("number", _("Ranking: Friedman chi-square, n (m - 1) W for n rankings of m "
                             "options."), ranking_only),
        "df": ("integer", _("Ranking: degrees of freedom, m - 1."), ranking_only),
        "pvalue": ("number", _("Ranking: upper-tail p of chi2."), ranking_only),
        "w_previous": ("number", _("Ranking: W of the same item in the previous round."),
                       _("Empty in the item's first round.")),
        "w_change": ("number", _("Ranking: w - w_previous."), _("Empty in the item's first round.")),
        "w_stable": ("boolean", _("Ranking: W is stable, its change at most the protocol's "
                                  "limit."), _("true / false; empty in the item's first round.")),
        "verdict": ("text", _("The item's verdict under its kind's consensus rule (see the "
                              "protocol)."), "consensus_in, no_consensus, insufficient_n"),
    }
    options = {
        "option": ("integer", _("The option's id (items: options; rankings: rank_<id>)."), ""),
        "option_text": ("text", _("The option's text (an option that is an item of the study: "
                                  "that item's text)."), ""),
        "mean_rank": ("number", _("The option's mean rank over the panellists who answered "
                                  "(1 = best)."),
                      _("The options a panellist left unranked share the mean of the remaining "
                        "ranks.")),
        "rank_sum": ("number", _("The sum of the option's ranks."), ""),
        "top3_share": ("number", _("Share of the panellists who answered who placed the option "
                                   "themselves at rank 1, 2 or 3."), "0..1"),
    }
    items = {
        "kind": ("text", _("The item's question kind."),
                 "rating, estimate, probability, year, ranking"),
        "unit": ("text", _("Estimate: the unit of the answers."), ""),
        "min": ("number", _("Estimate: the lowest value allowed; year: the first year offered."),
                ""),
        "max": ("number", _("Estimate: the highest value allowed; year: the last year offered "
                            "(an answer after it is \"later\")."), ""),
        "quantiles": ("boolean", _("Estimate: panellists give P10, P50 and P90 (true) or one "
                                   "value (false)."), "true / false"),
        "indicator": ("text", _("Estimate: the name of the plan's indicator the item is tied to."),
                      ""),
        "baseline_value": ("number", _("Estimate: the baseline value."), ""),
        "baseline_year": ("integer", _("Estimate: the year of the baseline."), ""),
        "target_value": ("number", _("Estimate: the target value."), ""),
        "target_year": ("integer", _("Estimate: the year of the target."), ""),
        "event_year": ("integer", _("Probability: the year by which the event is to happen."), ""),
        "top_k": ("integer", _("Ranking: how many options a panellist ranks (empty: all of "
                               "them)."), ""),
        "options": ("text", _("Ranking: the options, in the order shown."),
                    _('A JSON list of {"id", "text"}; an option that is an item of the study '
                      'also has "item", that item\'s code.')),
    }
    return {"kind_statistics": stats, "ranking_option_statistics": options, "items": items}


def _answer_columns(study: Study) -> dict[str, dict[str, tuple[str, str, str]]]:
    """The kinds' answers tables' own columns, described by the registry; a
    column whose description names an item's parameter lists each item's."""
    codings = {
        "value": ("number", _("Within the item's bounds (items: min, max), in its unit.")),
        "p10": ("number", _("Within the item's bounds (items: min, max), in its unit; "
                            "p10 <= p50 <= p90.")),
        "p50": ("number", _("Within the item's bounds (items: min, max), in its unit; "
                            "p10 <= p50 <= p90.")),
        "p90": ("number", _("Within the item's bounds (items: min, max), in its unit; "
                            "p10 <= p50 <= p90.")),
        "probability": ("number", "0..100"),
        "year": ("integer", _("A year from the item's min to its max.")),
        "later": ("integer", _("1 / 0; empty when cannot_answer is true.")),
        "ranking": ("text", _("Option ids separated by spaces, best first (only the top k when "
                              "the item sets top_k); items: options.")),
    }
    rank = ("number", _("From 1 (best) to the item's number of options (items: options); "
                        "empty for an item without this option."))
    out = {}
    for kind, columns in kind_columns(read_items(study)).items():
        described = {}
        for column, per_item in columns.items():
            texts = list(dict.fromkeys(text for _code, text in per_item))
            if len(texts) == 1:
                meaning = texts[0]
            else:
                meaning = "; ".join(f"{code}: {text}" for code, text in per_item)
            kind_type, coding = codings.get(column, rank)
            described[column] = (kind_type, meaning, coding)
        described["cannot_answer"] = ("boolean", _("The panellist answered \"cannot answer\"."),
                                      _("true / false; the kind's columns are then empty."))
        out[ANSWER_TABLES[kind]] = described
    return out


def kind_consensus(study: Study) -> dict:
    """The kinds' consensus thresholds of the protocol, and each rule in words."""
    settings = consensus_settings(study.kind_consensus)
    rules = {
        "estimate": _("Estimates: consensus when the quartile coefficient of dispersion is at "
                      "most %(limit)s (the IQR relative to the item's range when some answer is "
                      "below 0, or q3 + q1 is 0).", limit=settings["estimate"]["max_dispersion"]),
        "probability": _("Probabilities: consensus when the IQR is at most %(limit)s percentage "
                         "points.", limit=settings["probability"]["max_iqr"]),
        "year": _("Years: consensus when the IQR is at most %(limit)s years (never when a "
                  "quartile is \"later\").", limit=settings["year"]["max_iqr"]),
        "ranking": _("Rankings: consensus when Kendall's W is at least %(limit)s; W is stable "
                     "between rounds when it changes by at most %(change)s.",
                     limit=settings["ranking"]["min_w"],
                     change=settings["ranking"]["max_w_change"]),
    }
    return {"thresholds": settings, "rules": rules,
            "decision": _("Every kind: insufficient_n when fewer than %(n)d panellists answered; "
                          "thresholds are decided exactly, on the unrounded figures.",
                          n=study.min_n),
            "labels": {kind: kind_label(kind) for kind in ("rating", *ANSWER_TABLES)}}


def _columns(study: Study, points: int) -> dict[str, tuple[str, str, str]]:
    """name -> (type, meaning, coding), in the export's language."""
    scale = f"integer 1..{points}"
    generalised = _("'%(suppressed)s' where generalised for k-anonymity.", suppressed=SUPPRESSED)
    cols = {
        "pseudonym": ("text", _("The panellist's export pseudonym."),
                      _("%(n)d hex characters of HMAC-SHA256(per-study secret, panellist number). "
                        "The same panellist has the same pseudonym in every round and export of "
                        "this study, a different one in other studies.", n=PSEUDONYM_HEX)),
        "round": ("integer", _("Round number."), _("1 = first round.")),
        "item_code": ("text", _("The item's code."),
                      _("I01, I02, ... in order of creation; an item carried unchanged to a later "
                        "round keeps its code.")),
        "item_text": ("text", _("The item's statement as rated."),
                      _("Free text (English original).")),
        "criterion": ("text", _("The criterion rated."), ", ".join(study.criteria)),
        "rating": (scale, _("The rating."),
                   _("See the scale labels; empty when cannot_rate is true.")),
        "cannot_rate": ("boolean", _('The panellist answered "cannot rate".'), "true / false"),
        "role": ("text", _("The panellist's role in the task force (quasi-identifier)."),
                 _("global_leader, regional_representative, team_member, none (not a member);")
                 + " " + generalised),
        "region": ("text", _("The panellist's region (quasi-identifier): the region of their "
                             "task-force membership, else of their profile."),
                   _("Region name or unknown;") + " " + generalised),
        "stakeholder_group": ("text", _("The panellist's stakeholder group (quasi-identifier)."),
                              "research, farmers, ngo, government, private_sector, "
                              "international_organisation, funder, other; " + generalised),
        "kind": ("text", _("What the text is."),
                 _("comment (on the item) or reason (for a rating outside the previous IQR; "
                   "criterion says which).")),
        "text": ("text", _("The scrubbed free text."),
                 _("Contacts replaced by [email removed], [phone removed], [URL removed].")),
        "n": ("integer", _("Number of ratings (cannot rate and missing excluded)."), ""),
        "n_missing": ("integer", _("Panellists of the round without a rating of the item "
                                   "(cannot rate)."), ""),
        "median": ("number", _("Median rating."),
                   _("The 0.5 quantile of the study's quantile method.")),
        "q1": ("number", _("First quartile."), _("Study's quantile method.")),
        "q3": ("number", _("Third quartile."), _("Study's quantile method.")),
        "iqr": ("number", _("Interquartile range."), "q3 - q1."),
        "mean": ("number", _("Mean rating."), ""),
        "sd": ("number", _("Standard deviation."),
               _("Sample SD (denominator n - 1); empty when n < 2.")),
        "agreement": ("number", _("Share of ratings in the agreement band."), "0..1"),
        "disagreement": ("number", _("Share of ratings in the disagreement band."), "0..1"),
        "verdict": ("text", _("The item's verdict under the consensus rule."),
                    "consensus_in, consensus_out, no_consensus, insufficient_n"),
        "invited": ("integer", _("Panellists invited to the round."), ""),
        "started": ("integer", _("Panellists who started the round."), ""),
        "submitted": ("integer", _("Panellists who submitted."), ""),
        "response_rate": ("number", "submitted / invited.", "0..1"),
        "w": ("number", _("Kendall's W, tie-corrected."), _("0..1; empty when undefined.")),
        "w_uncorrected": ("number", _("Kendall's W without the tie correction."), "0..1"),
        "chi2": ("number", _("Friedman chi-square = m (n - 1) W."), ""),
        "df": ("integer", _("Degrees of freedom, n - 1 items."), ""),
        "pvalue": ("number", _("Upper-tail p of chi2."), ""),
        "n_raters": ("integer", _("Panellists used for W (complete rows)."), ""),
        "n_items": ("integer", _("Items ranked for W."), ""),
        "n_dropped": ("integer", _("Panellists left out of W for a missing rating."), ""),
        "too_few": ("boolean", _("Fewer answers than the study's minimum n: the figures are "
                                 "withheld (empty)."), _("true / false")),
        "sm_w": ("number", _("Kendall's W for incomplete rankings: the Skillings-Mack statistic "
                             "divided by m df."),
                 _("0..1; equals the uncorrected W when nobody missed an item.")),
        "sm_statistic": ("number", _("Skillings-Mack statistic (Skillings & Mack 1981)."), ""),
        "sm_df": ("integer", _("Degrees of freedom of the Skillings-Mack statistic."), ""),
        "sm_pvalue": ("number", _("Upper-tail chi-square p of the Skillings-Mack statistic."), ""),
        "sm_n_raters": ("integer", _("Panellists used for the Skillings-Mack W (two ratings or "
                                     "more)."), ""),
        "w_default": ("text", _("The W shown first: listwise while it keeps the minimum n and "
                                "four fifths of the raters, else incomplete."), "listwise, incomplete"),
        "wilcoxon_p": ("number", _("Wilcoxon signed-rank p, two-sided, by the method in "
                                   "wilcoxon_p_method."), "0..1"),
        "wilcoxon_p_method": ("text", _("How the Wilcoxon p was obtained."),
                              _("exact (no ties, no zero difference, n <= 50), exact_conditional "
                                "(ties), normal_cc (normal approximation with continuity "
                                "correction)")),
        "wilcoxon_pvalue_exact": ("number", _("Exact Wilcoxon p; empty where it does not "
                                              "apply."), "0..1"),
        "kappa_linear": ("number", _("Cohen's weighted kappa between the two rounds, linear "
                                     "weights."), _("Cohen 1968; empty when undefined.")),
        "kappa_quadratic": ("number", _("Cohen's weighted kappa between the two rounds, "
                                        "quadratic weights."), _("Cohen 1968; empty when undefined.")),
    }
    for v in range(1, points + 1):
        label = _label(study, v)
        cols[f"count_{v}"] = ("integer", _("Number of ratings of %(value)d (%(label)s).",
                                           value=v, label=label), "")
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
        "quantile_method_definition": str(QUANTILE_TEXT.get(study.quantile_method, "")),
        "agreement_band": list(agree),
        "disagreement_band": list(disagree),
        "min_n": study.min_n,
        "max_rounds": study.max_rounds,
        "kind_consensus": kind_consensus(study),
    }


def build_codebook(study: Study, tables: Tables, fmt: str, files: dict[str, dict]) -> dict:
    """The codebook as a JSON-ready dict. ``files`` maps table name to
    ``{"file": ..., "sheets": [...]}``."""
    points = int(study.scale_points)
    known = _columns(study, points)
    per_table = {**_kind_table_columns(), **_answer_columns(study), **_provenance_columns()}
    texts = {**{name: str(text) for name, text in TABLE_TEXT.items()}, **table_texts()}
    out_tables = {}
    for name, frame in tables.frames.items():
        columns = []
        own = per_table.get(name, {})
        for col in frame.columns:
            kind, meaning, coding = own.get(col) or known.get(col) or _guess(frame[col], col)
            columns.append({"name": str(col), "type": kind, "meaning": meaning, "coding": coding})
        out_tables[name] = {**files.get(name, {}), "rows": len(frame),
                            "description": texts.get(name, ""), "columns": columns}
    return {
        "study": {"title": study.title,
                  "task_force": getattr(study.task_force, "code", None)},
        "tier": tables.tier,
        "format": fmt,
        "language": current_language(),
        "protocol": protocol(study),
        "anonymisation": {
            "pseudonyms": _("HMAC-SHA256 with a per-study secret key over the panellist's "
                            "number, first %(n)d hex characters; the key is never exported.",
                            n=PSEUDONYM_HEX),
            "removed": _("names, email addresses, organisations, countries, user and panellist "
                         "numbers, in-app pseudonyms and every timestamp (only the round "
                         "number)."),
            "row_order": _("Rows are shuffled with the operating system's CSPRNG."),
            "k_anonymity": tables.anonymity.to_dict() if tables.anonymity else None,
            "k_anonymity_method": _(
                "Quasi-identifiers role, region and stakeholder group, one combination per "
                "panellist. While a combination is shared by fewer than k panellists, each of "
                "those panellists has the finest attribute they still show (most distinct "
                "values first) set to 'suppressed'; a too-small all-suppressed group is topped "
                "up from the largest groups, else everything is suppressed."),
            "comments": _("Email addresses, phone numbers and URLs replaced by markers "
                          "(regular expressions; names in free text are not detected)."),
        },
        "spreadsheet_escaping": _("In CSV and XLSX a text cell starting with =, +, -, @, tab or "
                                  "carriage return has a leading apostrophe (') added; remove it "
                                  "to get the original text. Numbers are never escaped. JSON is "
                                  "not escaped."),
        "missing_values": _("An empty cell (CSV, XLSX) or null (JSON)."),
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
    return kind, _("Stability figure '%(name)s' as frozen at close.", name=name), ""


def to_markdown(codebook: dict) -> str:
    """The codebook as Markdown, in the export's language."""
    p = codebook["protocol"]
    agree, disagree = p["agreement_band"], p["disagreement_band"]
    words = {"codebook": _("Codebook"), "tier": _("Tier"), "format": _("format"),
             "protocol": _("Protocol"), "criteria": _("Criteria"),
             "rule": _("Consensus rule"), "quantiles": _("Quantile method"),
             "anonymisation": _("Anonymisation"), "escaping": _("Spreadsheet escaping"),
             "missing": _("Missing values"), "tables": _("Tables")}
    lines = [f"# {words['codebook']}: {codebook['study']['title']}", "",
             (f"{words['tier']}: **{codebook['tier']}** · {words['format']}: "
              f"**{codebook['format']}**"), "",
             f"## {words['protocol']}", "",
             "- " + _("Scale: %(n)d points", n=p["scale_points"]),
             *[f"  - {v}: {label}" for v, label in p["scale_labels"].items()],
             f"- {words['criteria']}: {', '.join(p['criteria'])}",
             f"- {words['rule']}: {p['consensus_rule']}",
             "- " + _("Agreement band: %(low)s-%(high)s; disagreement band: %(dlow)s-%(dhigh)s",
                      low=agree[0], high=agree[1], dlow=disagree[0], dhigh=disagree[1]),
             (f"- {words['quantiles']}: `{p['quantile_method']}`: "
              f"{p['quantile_method_definition']}"),
             "- " + _("Minimum n: %(n)d; at most %(rounds)d rounds", n=p["min_n"],
                      rounds=p["max_rounds"]),
             *[f"- {rule}" for rule in p["kind_consensus"]["rules"].values()],
             f"- {p['kind_consensus']['decision']}", "",
             f"## {words['anonymisation']}", ""]
    anon = codebook["anonymisation"]
    labels = {"pseudonyms": _("Pseudonyms"), "removed": _("Removed"), "row_order": _("Row order"),
              "k_anonymity_method": _("K-anonymity method"), "comments": _("Comments")}
    for key, label in labels.items():
        lines.append(f"- {label}: {anon[key]}")
    if anon.get("k_anonymity"):
        k = anon["k_anonymity"]
        line = _("k = %(k)d over %(n)d panellists; values suppressed: %(values)s", k=k["k"],
                 n=k["panellists"],
                 values=", ".join(f"{a} {n}" for a, n in k["suppressed_values"].items()))
        if k["topped_up"]:
            line += "; " + _("%(n)d panellists moved to the all-suppressed group",
                             n=k["topped_up"])
        if k["all_suppressed"]:
            line += "; " + _("all quasi-identifiers suppressed")
        lines.append(f"- {line}")
    lines += ["", f"{words['escaping']}: {codebook['spreadsheet_escaping']}",
              f"{words['missing']}: {codebook['missing_values']}", "", f"## {words['tables']}"]
    header = [_("column"), _("type"), _("meaning"), _("coding")]
    for name, table in codebook["tables"].items():
        where = table.get("file") or ", ".join(table.get("sheets", []))
        rows = _("%(n)d rows", n=table["rows"])
        lines += ["", f"### {name}", "", f"{table['description']} ({rows}; {where})",
                  "", "| " + " | ".join(header) + " |", "| --- | --- | --- | --- |"]
        for col in table["columns"]:
            cells = [col["name"], col["type"], col["meaning"], col["coding"]]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"
