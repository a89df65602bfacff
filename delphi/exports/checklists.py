"""Reporting checklists for Delphi studies: CREDES, DELPHISTAR and ACCORD.

Items are paraphrased and condensed (consult the published checklists for
their exact wording and numbering). Each item names the study fact that
answers it, if the engine knows it; :mod:`delphi.exports.report` fills those
in, and marks the others "authors to complete".

References
----------
Jünger S. et al. (2017). Guidance on Conducting and REporting DElphi Studies
(CREDES) in palliative care. Palliative Medicine 31(8), 684-706.
Niederberger M. et al. (2024). Delphi studies in social and health sciences -
recommendations for an interdisciplinary standardized reporting (DELPHISTAR).
BMC Medical Research Methodology 24, 96.
Gattrell W. T. et al. (2024). ACCORD (ACcurate COnsensus Reporting Document):
a reporting guideline for consensus methods in biomedicine. PLOS Medicine
21(1), e1004326.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

#: (checklist, [(section, item text, fact key or None)])
CHECKLISTS = [
    ("CREDES", [
        (_l("Design"), _l("Rationale for choosing the Delphi technique"), None),
        (_l("Design"), _l("Planning and process: rounds, steps, modifications"), "rounds"),
        (_l("Design"), _l("Definition of consensus, set a priori"), "consensus"),
        (_l("Design"), _l("Informational input: material given to the experts"), "feedback"),
        (_l("Design"), _l("Prevention of bias: anonymity and feedback"), "anonymity"),
        (_l("Design"), _l("Interpretation and processing of results, incl. items without consensus"),
         "carry_forward"),
        (_l("Design"), _l("External validation of the results"), None),
        (_l("Reporting"), _l("Purpose and rationale of the study"), "purpose"),
        (_l("Reporting"), _l("Expert panel: selection criteria, recruitment and characteristics"),
         "panel"),
        (_l("Reporting"), _l("Description of the methods: survey, rounds, scale, analysis"), "methods"),
        (_l("Reporting"), _l("Procedure: a flow of the rounds with participation"), "participation"),
        (_l("Reporting"), _l("Definition and attainment of consensus"), "attainment"),
        (_l("Reporting"), _l("Results of each round and of the final round"), "results"),
        (_l("Reporting"), _l("Discussion of limitations"), None),
        (_l("Reporting"), _l("Adequacy of conclusions"), None),
        (_l("Reporting"), _l("Publication and dissemination"), None),
    ]),
    ("DELPHISTAR", [
        (_l("Title and abstract"), _l("Identify the study as a Delphi study"), "title"),
        (_l("Context"), _l("Background and research question"), "purpose"),
        (_l("Context"), _l("Justification of the Delphi method and of the variant used"), None),
        (_l("Method"), _l("Number and kind of rounds; modifications during the study"), "rounds"),
        (_l("Method"), _l("Protocol changes (amendments) and their reasons"), "amendments"),
        (_l("Expert panel"), _l("Definition of expertise and selection criteria"), "panel_cutoff"),
        (_l("Expert panel"), _l("Recruitment and size of the panel"), "panel"),
        (_l("Expert panel"), _l("Characteristics of the panel"), "composition"),
        (_l("Questionnaire"), _l("Development of the items and their sources"), "items"),
        (_l("Questionnaire"), _l("Pretest of the questionnaire"), None),
        (_l("Survey"), _l("Rating scale and criteria"), "scale"),
        (_l("Survey"), _l("Mode of survey and anonymity"), "anonymity"),
        (_l("Survey"), _l("Feedback given between rounds"), "feedback"),
        (_l("Analysis"), _l("Definition of consensus"), "consensus"),
        (_l("Analysis"), _l("Statistical methods (quantiles, agreement, concordance)"), "methods"),
        (_l("Analysis"), _l("Stopping rule"), "stopping"),
        (_l("Analysis"), _l("Handling of free-text comments"), None),
        (_l("Results"), _l("Response rate per round"), "participation"),
        (_l("Results"), _l("Results per round and final results"), "results"),
        (_l("Results"), _l("Items without consensus"), "no_consensus"),
        (_l("Discussion"), _l("Limitations and quality of the study"), None),
        (_l("Other"), _l("Ethics approval, funding and conflicts of interest"), None),
    ]),
    ("ACCORD", [
        (_l("Title"), _l("Identify the report as a consensus exercise and name the method"), "title"),
        (_l("Introduction"), _l("Background and objective of the consensus exercise"), "purpose"),
        (_l("Methods"), _l("Registration and protocol, with changes to it"), "amendments"),
        (_l("Methods"), _l("Selection and recruitment of participants"), "panel"),
        (_l("Methods"), _l("Steering committee and facilitators, and their roles"), None),
        (_l("Methods"), _l("Preparatory research and how the items were generated"), "items"),
        (_l("Methods"), _l("Number of rounds and how the process was run"), "rounds"),
        (_l("Methods"), _l("Definition of consensus and the threshold"), "consensus"),
        (_l("Methods"), _l("Anonymity of participants and of their answers"), "anonymity"),
        (_l("Methods"), _l("Feedback given to participants between rounds"), "feedback"),
        (_l("Methods"), _l("Statistical analysis"), "methods"),
        (_l("Methods"), _l("How the process ended (stopping rule)"), "stopping"),
        (_l("Results"), _l("Number of participants and response rate in each round"), "participation"),
        (_l("Results"), _l("Characteristics of the participants"), "composition"),
        (_l("Results"), _l("Outcome: items that reached consensus and those that did not"),
         "attainment"),
        (_l("Discussion"), _l("Strengths and limitations"), None),
        (_l("Other"), _l("Funding, conflicts of interest, role of funders"), None),
        (_l("Other"), _l("Availability of data (this export)"), "data"),
    ]),
]
