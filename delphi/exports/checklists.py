"""Reporting checklists for Delphi studies: CREDES, DELPHISTAR and ACCORD, as data,
and the authors' own answers to their items (:class:`delphi.core.models.ChecklistAnswer`).

Every item of each published checklist is listed: CREDES' 16 recommendations
(7 on conducting, 9 on reporting), DELPHISTAR's 38 items and ACCORD's 35. The
wording is a paraphrase written from the published checklists, not a quotation
(their licences allow reuse, but the short forms fit a table); where the
paraphrase may not follow the original item's exact scope or numbering, a
comment beside it says so. Consult the published checklists before submitting.

Each item names the study fact that answers it (``fact``), if the engine knows
it; :mod:`delphi.exports.report` fills those in. The others read "authors to
complete", and the study's researchers and moderators can complete them in the
app (:func:`save_answers`, the page ``exports.checklists``); an author's answer
is printed beside (or instead of) the engine's.

References
----------
Jünger S., Payne S. A., Brine J., Radbruch L., Brearley S. G. (2017). Guidance on
Conducting and REporting DElphi Studies (CREDES) in palliative care:
recommendations based on a methodological systematic review. Palliative Medicine
31(8), 684-706. doi:10.1177/0269216317690685
Niederberger M., Schifano J., Deckert S., Hirt J., Homberg A., Köberich S.,
Kuhn R., Rommel A., Sonnberger M., the DEWISS network (2024). Delphi studies in
social and health sciences - Recommendations for an interdisciplinary
standardized reporting (DELPHISTAR). Results of a Delphi study. PLoS ONE 19(8),
e0304651. doi:10.1371/journal.pone.0304651
Gattrell W. T., Logullo P., van Zuuren E. J., Price A., Hughes E. L., Blazey P.,
Winchester C. C., Tovey D., Goldman K., Hungin A. P., Harrison N. (2024). ACCORD
(ACcurate COnsensus Reporting Document): A reporting guideline for consensus
methods in biomedicine developed via a modified Delphi. PLoS Medicine 21(1),
e1004326. doi:10.1371/journal.pmed.1004326
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from delphi.core import audit
from delphi.core.database import db
from delphi.core.errors import InvalidInput
from delphi.core.models import ChecklistAnswer, Study, User, utcnow
from delphi.core.text import text_problem

#: An author's answer: at most this many characters.
ANSWER_MAX = 4000


@dataclass(frozen=True)
class ChecklistItem:
    """One item of a checklist: ``number`` as the checklist numbers it (CREDES'
    recommendations are numbered here in their order), its section and a
    paraphrase, and the key of the study fact that answers it (or None)."""

    checklist: str
    number: str
    section: object
    text: object
    fact: str | None = None

    @property
    def key(self) -> str:
        return f"{self.checklist}:{self.number}"


@dataclass(frozen=True)
class Checklist:
    name: str
    title: str
    citation: str
    doi: str
    items: tuple[ChecklistItem, ...]


def _items(checklist: str, rows) -> tuple[ChecklistItem, ...]:
    return tuple(ChecklistItem(checklist, str(number), section, text, fact)
                 for number, section, text, fact in rows)


CREDES = Checklist(
    "CREDES", "Guidance on Conducting and REporting DElphi Studies",
    "Jünger S, Payne SA, Brine J, Radbruch L, Brearley SG. Guidance on Conducting and "
    "REporting DElphi Studies (CREDES) in palliative care: recommendations based on a "
    "methodological systematic review. Palliat Med. 2017;31(8):684-706.",
    "10.1177/0269216317690685",
    _items("CREDES", [
        # Conducting (recommendations 1-7); the paper does not number them, the order is its own.
        (1, _l("Conducting"), _l("Rationale for choosing the Delphi technique"), None),
        (2, _l("Conducting"), _l("Planning and process: the steps and rounds, with any modification "
                                 "decided in advance"), "rounds"),
        (3, _l("Conducting"), _l("Definition of consensus, set a priori"), "consensus"),
        (4, _l("Conducting"), _l("Informational input: material given to the experts"), "feedback"),
        (5, _l("Conducting"), _l("Prevention of bias: anonymity, feedback and the role of the "
                                 "research team"), "anonymity"),
        (6, _l("Conducting"), _l("Interpretation and processing of results, including items "
                                 "without consensus"), "carry_forward"),
        (7, _l("Conducting"), _l("External validation of the results"), None),
        # Reporting (recommendations 8-16).
        (8, _l("Reporting"), _l("Purpose and rationale of the study"), "purpose"),
        (9, _l("Reporting"), _l("Expert panel: selection criteria, recruitment and "
                                "characteristics"), "panel"),
        (10, _l("Reporting"), _l("Description of the methods: survey, rounds, scale, analysis"),
         "methods"),
        (11, _l("Reporting"), _l("Procedure: a flow chart of the rounds with participation"),
         "participation"),
        (12, _l("Reporting"), _l("Definition and attainment of consensus"), "attainment"),
        (13, _l("Reporting"), _l("Results of each round and of the final round"), "results"),
        (14, _l("Reporting"), _l("Discussion of limitations"), None),
        (15, _l("Reporting"), _l("Adequacy of conclusions"), None),
        (16, _l("Reporting"), _l("Publication and dissemination"), None),
    ]))

# DELPHISTAR: 38 items in the sections of the published checklist (title and abstract,
# context, method, expert panel, questionnaire/survey, analysis, results, discussion,
# other). The items below are paraphrases from memory of the published table; their
# grouping follows it, but the exact wording, and where an item is split or joined
# (items 6-7, 19-21, 34-38), may differ slightly: check against the paper.
DELPHISTAR = Checklist(
    "DELPHISTAR", "Delphi studies in social and health sciences - recommendations for an "
    "interdisciplinary standardized reporting",
    "Niederberger M, Schifano J, Deckert S, Hirt J, Homberg A, Köberich S, et al. Delphi "
    "studies in social and health sciences-Recommendations for an interdisciplinary "
    "standardized reporting (DELPHISTAR). Results of a Delphi study. PLoS One. "
    "2024;19(8):e0304651.",
    "10.1371/journal.pone.0304651",
    _items("DELPHISTAR", [
        (1, _l("Title and abstract"), _l("Identify the study as a Delphi study in the title"),
         "title"),
        (2, _l("Title and abstract"), _l("A structured abstract: aim, Delphi variant, panel, "
                                         "rounds, consensus definition and main results"), None),
        (3, _l("Context"), _l("Background: the state of knowledge and why a Delphi study"),
         "purpose"),
        (4, _l("Context"), _l("The research question or aim of the study"), "purpose"),
        (5, _l("Context"), _l("The content and methodological expertise of the research team"),
         None),
        (6, _l("Method"), _l("Justification of the Delphi technique for the question"), None),
        (7, _l("Method"), _l("The Delphi variant used and any modification of the classical "
                             "technique"), "variant"),
        (8, _l("Method"), _l("Registration or publication of a study protocol"), None),
        (9, _l("Method"), _l("Changes to the protocol during the study, with their reasons"),
         "amendments"),
        (10, _l("Method"), _l("Ethics approval or waiver, and informed consent"), None),
        (11, _l("Expert panel"), _l("Definition of the expertise sought"), None),
        (12, _l("Expert panel"), _l("Criteria for selecting the experts"), "panel_cutoff"),
        (13, _l("Expert panel"), _l("How the experts were identified and recruited"), "panel"),
        (14, _l("Expert panel"), _l("Number of experts invited to each round"), "invited"),
        (15, _l("Expert panel"), _l("Characteristics of the panel (disciplines, roles, regions)"),
         "composition"),
        (16, _l("Questionnaire"), _l("How the items were developed and from which sources"),
         "items"),
        (17, _l("Questionnaire"), _l("Pretest or piloting of the questionnaire"), None),
        (18, _l("Questionnaire"), _l("The questionnaire itself, or where it can be found"),
         "questionnaire"),
        (19, _l("Questionnaire"), _l("Response format: rating scale, its labels and the "
                                     "criteria"), "scale"),
        (20, _l("Questionnaire"), _l("Open questions and room for the experts' comments"),
         "comments"),
        (21, _l("Survey"), _l("Number of rounds, planned and conducted"), "rounds"),
        (22, _l("Survey"), _l("Mode of the survey (online, on paper, in person) and the "
                              "software used"), "software"),
        (23, _l("Survey"), _l("Duration of each round and the time between rounds"),
         "round_dates"),
        (24, _l("Survey"), _l("Reminders and other measures to keep the panel"), None),
        (25, _l("Survey"), _l("Anonymity of the experts towards each other and towards the "
                              "researchers"), "anonymity"),
        (26, _l("Survey"), _l("Feedback between rounds: what the experts were shown"),
         "feedback"),
        (27, _l("Survey"), _l("How items were changed, merged, dropped or added between rounds"),
         "lineage"),
        (28, _l("Analysis"), _l("Definition of consensus, set before the study"), "consensus"),
        (29, _l("Analysis"), _l("Statistical methods for the ratings"), "methods"),
        (30, _l("Analysis"), _l("Analysis of the free-text answers and comments"), None),
        (31, _l("Analysis"), _l("Criteria for ending the Delphi process (stopping rule)"),
         "stopping"),
        (32, _l("Results"), _l("Response rate of each round, with a flow of participation"),
         "participation"),
        (33, _l("Results"), _l("Results of each round"), "results"),
        (34, _l("Results"), _l("Final results: items with and without consensus"),
         "attainment"),
        (35, _l("Discussion"), _l("The main results discussed against the research question and "
                                  "the literature"), None),
        (36, _l("Discussion"), _l("Methodological strengths and limitations"), None),
        (37, _l("Other"), _l("Funding and conflicts of interest"), None),
        (38, _l("Other"), _l("Availability of the data and the questionnaires"), "data"),
    ]))

# ACCORD: 35 items (title 1, abstract 2, introduction 3-4, methods 5-22, results 23-28,
# discussion 29-30, other information 31-35). Paraphrased: the methods items are
# grouped as in the published checklist (registration, protocol, participants,
# steering committee, preparation, rounds, analysis), but their exact split may
# differ (items 13-18 especially): check against the paper.
ACCORD = Checklist(
    "ACCORD", "ACcurate COnsensus Reporting Document",
    "Gattrell WT, Logullo P, van Zuuren EJ, Price A, Hughes EL, Blazey P, et al. ACCORD "
    "(ACcurate COnsensus Reporting Document): A reporting guideline for consensus methods in "
    "biomedicine developed via a modified Delphi. PLoS Med. 2024;21(1):e1004326.",
    "10.1371/journal.pmed.1004326",
    _items("ACCORD", [
        (1, _l("Title"), _l("Identify the report as a consensus exercise and name the method"),
         "title"),
        (2, _l("Abstract"), _l("A structured summary: objective, methods, participants, "
                               "results and conclusions"), None),
        (3, _l("Introduction"), _l("Background: why a consensus exercise was needed"),
         "purpose"),
        (4, _l("Introduction"), _l("Aim and objectives of the consensus exercise"), "purpose"),
        (5, _l("Methods: registration"), _l("Registration of the exercise, with its identifier"),
         None),
        (6, _l("Methods: protocol"), _l("Where the protocol can be read"), "protocol"),
        (7, _l("Methods: protocol"), _l("Deviations from the protocol, with their reasons"),
         "amendments"),
        (8, _l("Methods: participants"), _l("The steering committee: who they were and how "
                                            "they were chosen"), None),
        (9, _l("Methods: participants"), _l("The role of the steering committee and of the "
                                            "facilitators"), None),
        (10, _l("Methods: participants"), _l("Criteria for selecting the panel members"),
         "panel_cutoff"),
        (11, _l("Methods: participants"), _l("How panel members were identified, invited and "
                                             "recruited"), "panel"),
        (12, _l("Methods: participants"), _l("Number of panel members invited"), "invited"),
        (13, _l("Methods: participants"), _l("Whether patients, the public or other "
                                             "stakeholders took part"), "composition"),
        (14, _l("Methods: preparation"), _l("Preparatory research (literature review, earlier "
                                            "work) behind the items"), None),
        (15, _l("Methods: preparation"), _l("How the items or statements were generated"),
         "items"),
        (16, _l("Methods: preparation"), _l("Piloting of the questionnaire"), None),
        (17, _l("Methods: process"), _l("The consensus method used and how it was modified"),
         "variant"),
        (18, _l("Methods: process"), _l("Number of rounds and how each was run (mode, software, "
                                         "dates)"), "rounds"),
        (19, _l("Methods: process"), _l("Definition of consensus and its threshold, set in "
                                        "advance"), "consensus"),
        (20, _l("Methods: process"), _l("Anonymity of the participants and of their answers"),
         "anonymity"),
        (21, _l("Methods: process"), _l("Information and feedback given to participants "
                                        "between rounds"), "feedback"),
        (22, _l("Methods: analysis"), _l("Quantitative and qualitative analysis, and when the "
                                         "process ended"), "stopping"),
        (23, _l("Results"), _l("Number of participants and response rate in each round"),
         "participation"),
        (24, _l("Results"), _l("Characteristics of the participants"), "composition"),
        (25, _l("Results"), _l("The flow of items across rounds: added, reworded, merged, "
                               "dropped"), "lineage"),
        (26, _l("Results"), _l("Results of each round"), "results"),
        (27, _l("Results"), _l("The final outcome: items that reached consensus and those that "
                               "did not"), "attainment"),
        (28, _l("Results"), _l("Any output of the exercise (guidance, set of recommendations)"),
         None),
        (29, _l("Discussion"), _l("Interpretation of the results against other work"), None),
        (30, _l("Discussion"), _l("Strengths and limitations of the consensus exercise"), None),
        (31, _l("Other information"), _l("Funding and the role of the funders"), None),
        (32, _l("Other information"), _l("Conflicts of interest of the steering committee and "
                                         "the panel, and how they were managed"), None),
        (33, _l("Other information"), _l("Ethics approval and consent to take part"), None),
        (34, _l("Other information"), _l("Availability of the data and the materials"),
         "data"),
        (35, _l("Other information"), _l("Authorship and acknowledgement of the panel"), None),
    ]))

CHECKLISTS: tuple[Checklist, ...] = (CREDES, DELPHISTAR, ACCORD)
BY_NAME = {c.name: c for c in CHECKLISTS}
ITEMS = {item.key: item for c in CHECKLISTS for item in c.items}


# -- the authors' answers -------------------------------------------------------------

def author_answers(study: Study) -> dict[str, str]:
    """``{"<checklist>:<number>": text}`` of the study's non-empty author answers."""
    rows = db.session.scalars(select(ChecklistAnswer).where(ChecklistAnswer.study_id == study.id))
    return {f"{a.checklist}:{a.item}": a.text for a in rows if a.text}


def save_answers(study: Study, answers: dict[str, str], *, actor: User | None,
                 now: datetime | None = None) -> list[str]:
    """Store the authors' answers ``{"<checklist>:<number>": text}`` (an empty text
    clears one). Returns the keys that changed; one audit row
    (``study.checklist_answered``) names them (never the texts). Unknown keys or
    texts that cannot be stored: one ``InvalidInput`` naming each field."""
    now = now or utcnow()
    fields = {}
    clean: dict[str, str] = {}
    for key, value in answers.items():
        if key not in ITEMS:
            fields[key] = _("No such checklist item.")
            continue
        text = (value or "").strip()
        problem = text_problem(text) or (
            _("At most %(n)d characters.", n=ANSWER_MAX) if len(text) > ANSWER_MAX else None)
        if problem:
            fields[key] = problem
            continue
        clean[key] = text
    if fields:
        raise InvalidInput(_("Invalid input."), fields=fields)
    existing = {f"{a.checklist}:{a.item}": a for a in db.session.scalars(
        select(ChecklistAnswer).where(ChecklistAnswer.study_id == study.id))}
    changed = []
    for key, text in clean.items():
        row = existing.get(key)
        if (row.text if row else "") == text:
            continue
        if row is None:
            checklist, _sep, number = key.partition(":")
            row = ChecklistAnswer(study_id=study.id, checklist=checklist, item=number)
            db.session.add(row)
        row.text = text
        row.updated_at = now
        row.updated_by_id = getattr(actor, "id", None)
        changed.append(key)
    if changed:
        audit.record(actor, "study.checklist_answered", study, details={"items": changed},
                     now=now)
    db.session.flush()
    return changed
