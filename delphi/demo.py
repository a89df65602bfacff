"""A living demo: ``flask --app delphi demo``.

Loads organisations, about 60 members of task force A5 (carbon markets)
across regions (each reading times in a zone of their region), roles and
stakeholder groups, and a two-criterion study of 12
strategies drawn from the objective and its 2030/2050 targets, with one item
of each other question kind: two estimates tied to the objective's
indicators (one with P10/P50/P90 quantiles), a probability, a year and a
ranking of six of the study's strategies. Three rounds are answered by
simulated panellists whose answers converge, except for a few contested
items that never settle; the fourth round is open. The study's texts and
its items' texts and backgrounds are given in French and Spanish too, so a
reader in either language sees nothing in English. Everything goes
through the same services as the application (``rounds``), so the demo is
also an end-to-end check of the process.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import select

import rounds
from delphi.core.database import db
from delphi.core.models import (
    ApprovalStatus,
    Indicator,
    Membership,
    MembershipStatus,
    Panellist,
    PanellistStatus,
    Region,
    StaffRole,
    Study,
    TaskForceRole,
    User,
    utcnow,
)
from delphi.core.passwords import hash_password
from delphi.services.accounts import Registration, organisation_named, register
from delphi.services.membership import task_force_by_code

DEMO_PASSWORD = "demo-delphi-2030"
DEMO_TITLE = "Strategies for carbon markets (Task Force A5)"

ORGANISATIONS = [
    ("INRAE", MembershipStatus.member), ("CIRAD", MembershipStatus.member),
    ("Embrapa", MembershipStatus.partner), ("ICRISAT", MembershipStatus.partner),
    ("Soil Association", MembershipStatus.member), ("Africa Soil Network", MembershipStatus.partner),
    ("Terra Finance", MembershipStatus.none), ("Andes Farmers Cooperative", MembershipStatus.none),
    ("Ministry of Agriculture of Senegal", MembershipStatus.member),
    ("Prairie Carbon Ltd", MembershipStatus.none), ("Mekong Soil Institute", MembershipStatus.partner),
    ("Green Youth Network", MembershipStatus.none),
]
#: Each region's members read times in one of its zones (their profile's time zone).
REGION_ZONES = {"Africa": "Africa/Nairobi", "Asia & Pacific": "Asia/Bangkok",
                "Europe": "Europe/Paris", "Latin America & the Caribbean": "America/Sao_Paulo",
                "North America": "America/Chicago"}
STAKEHOLDERS = ["research", "farmers", "ngo", "government", "private_sector",
                "international_organisation", "funder"]
FIRST = ["Amina", "Lucas", "Mei", "Kwame", "Sofia", "Ravi", "Chloé", "Diego", "Fatou", "Hiroshi",
         "Ingrid", "Jabari", "Karin", "Liam", "Marta", "Nadia", "Omar", "Priya", "Quentin", "Rosa"]
LAST = ["Diallo", "Martin", "Chen", "Mensah", "Rossi", "Sharma", "Dubois", "García", "Ndiaye",
        "Tanaka", "Larsen", "Okafor", "Müller", "Walsh", "Silva", "Haddad", "Kaya", "Iyer"]

#: The study's title and description in the other interface languages
#: (``rounds.set_study_translations``); its criteria and scale labels are the
#: usual ones, which the interface translates itself.
STUDY_TRANSLATIONS = {
    "fr": {"title": "Stratégies pour les marchés du carbone (groupe de travail A5)",
           "description": "Quelles stratégies le groupe de travail A5 doit-il suivre pour que 3 à 5 "
                          "dispositifs de compensation recommandables soient identifiés d'ici 2030, "
                          "et que des instruments économiques alternatifs soient étudiés d'ici 2050 ?"},
    "es": {"title": "Estrategias para los mercados de carbono (grupo de trabajo A5)",
           "description": "¿Qué estrategias debería seguir el grupo de trabajo A5 para que se "
                          "identifiquen de 3 a 5 esquemas de compensación recomendables de aquí a "
                          "2030 y se estudien instrumentos económicos alternativos de aquí a 2050?"},
}

#: (English, French, Spanish, target, latent mean on 1-5 for importance, feasibility, contested?)
ITEMS = [
    (("Publish a screening grid for soil-carbon market mechanisms (additionality, permanence, "
      "leakage, MRV) that task-force members apply to every scheme."),
     ("Publier une grille d'analyse des mécanismes de marché du carbone des sols (additionnalité, "
      "permanence, fuites, MRV) que les membres appliquent à chaque dispositif."),
     ("Publicar una matriz de evaluación de los mecanismos de mercado de carbono del suelo "
      "(adicionalidad, permanencia, fugas, MRV) que los miembros del grupo de trabajo apliquen a "
      "cada esquema."), "2030", 4.5, 4.2, False),
    ("Compile an open registry of soil-carbon compensation schemes on the collaborative platform.",
     ("Constituer un registre ouvert des dispositifs de compensation carbone des sols sur la "
      "plateforme collaborative."),
     ("Elaborar un registro abierto de los esquemas de compensación de carbono del suelo en la "
      "plataforma colaborativa."), "2030", 4.4, 4.4, False),
    ("Recommend only schemes verified by a third party with repeated soil sampling.",
     "Ne recommander que des dispositifs vérifiés par un tiers avec des prélèvements de sol répétés.",
     "Recomendar únicamente esquemas verificados por un tercero con muestreos de suelo repetidos.",
     "2030", 4.0, 3.0, False),
    ("Require a permanence commitment of at least 20 years from recommended schemes.",
     "Exiger des dispositifs recommandés un engagement de permanence d'au moins 20 ans.",
     "Exigir a los esquemas recomendados un compromiso de permanencia de al menos 20 años.",
     "2030", 3.6, 2.6, True),
    ("Favour schemes that pay farmers for practices rather than for measured tonnes of carbon.",
     ("Privilégier les dispositifs qui rémunèrent les pratiques plutôt que les tonnes de carbone "
      "mesurées."),
     ("Dar preferencia a los esquemas que remuneran a los agricultores por sus prácticas y no por "
      "las toneladas de carbono medidas."), None, 3.2, 3.8, True),
    ("Create aggregation models so that smallholders can access carbon payments.",
     "Créer des modèles d'agrégation pour que les petits exploitants accèdent aux paiements carbone.",
     "Crear modelos de agregación para que los pequeños productores accedan a los pagos por carbono.",
     "2030", 4.6, 3.5, False),
    ("Pilot results-based payments that combine remote sensing with soil-carbon models.",
     "Expérimenter des paiements aux résultats combinant télédétection et modèles de carbone du sol.",
     ("Poner a prueba pagos por resultados que combinen la teledetección con modelos de carbono "
      "del suelo."), None, 3.9, 3.4, False),
    ("Label the schemes that deliver co-benefits for soil health, biodiversity and food security.",
     ("Labelliser les dispositifs qui apportent des co-bénéfices pour la santé des sols, la "
      "biodiversité et la sécurité alimentaire."),
     ("Otorgar un sello a los esquemas que aportan cobeneficios para la salud del suelo, la "
      "biodiversidad y la seguridad alimentaria."), "2030", 4.3, 4.0, False),
    ("Exclude offsets that companies use to claim carbon neutrality without cutting emissions.",
     ("Exclure les compensations utilisées pour revendiquer la neutralité carbone sans réduire "
      "les émissions."),
     ("Excluir las compensaciones que las empresas usan para declararse neutras en carbono sin "
      "reducir sus emisiones."), None, 3.0, 2.8, True),
    ("Explore a soil-carbon tax credit as an alternative economic instrument.",
     "Étudier un crédit d'impôt carbone des sols comme instrument économique alternatif.",
     "Estudiar un crédito fiscal por el carbono del suelo como instrumento económico alternativo.",
     "2050", 3.4, 2.9, False),
    ("Develop publicly funded payments for ecosystem services as an alternative to offset markets.",
     ("Développer des paiements pour services écosystémiques financés sur fonds publics, en "
      "alternative aux marchés de compensation."),
     ("Desarrollar pagos por servicios ecosistémicos con financiación pública como alternativa a "
      "los mercados de compensación."), "2050", 4.1, 3.1, False),
    ("Share an annual transparency report with the prices and volumes of soil-carbon credits.",
     "Partager un rapport annuel de transparence sur les prix et volumes des crédits carbone des sols.",
     ("Publicar un informe anual de transparencia con los precios y volúmenes de los créditos de "
      "carbono del suelo."), "2030", 3.8, 4.3, False),
]

#: The estimates' units in French and Spanish.
UNITS = {"schemes": {"fr": "dispositifs", "es": "esquemas"},
         "instruments": {"fr": "instruments", "es": "instrumentos"}}

#: Items of the other question kinds: (kind, text, French, Spanish, target, parameters, latent
#: answer). The A5 indicators give their targets in words ("3 to 5 schemes"): the estimates take
#: the lower end, 3, as the value a gap-to-target chart can draw, and say so in their background.
KIND_ITEMS = [
    ("estimate",
     ("How many soil-carbon compensation schemes will the Initiative have identified "
      "as commendable and shared by 2030? Give a low (P10), a most likely (P50) and a high (P90) "
      "value."),
     ("Combien de dispositifs de compensation carbone des sols l'Initiative aura-t-elle reconnus "
      "comme recommandables et partagés d'ici 2030 ? Donnez une valeur basse (P10), la plus "
      "probable (P50) et haute (P90)."),
     ("¿Cuántos esquemas de compensación de carbono del suelo habrá reconocido la Iniciativa como "
      "recomendables y compartido de aquí a 2030? Indique un valor bajo (P10), el más probable "
      "(P50) y uno alto (P90)."), "2030",
     {"unit": "schemes", "min": 0, "max": 30, "quantiles": True, "indicator": 1,
      "baseline": {"value": 0, "year": 2020}, "target": {"value": 3, "year": 2030}}, 2.6),
    ("estimate",
     "How many alternative economic instruments will have been explored or developed by 2050?",
     "Combien d'instruments économiques alternatifs auront été étudiés ou élaborés d'ici 2050 ?",
     ("¿Cuántos instrumentos económicos alternativos se habrán estudiado o desarrollado de aquí "
      "a 2050?"),
     "2050", {"unit": "instruments", "min": 0, "max": 30, "quantiles": False, "indicator": 2,
              "baseline": {"value": 0, "year": 2020}, "target": {"value": 3, "year": 2050}}, 4.0),
    ("probability",
     ("How likely is it that at least three commendable schemes are shared on the "
      "collaborative platform by 2030?"),
     ("Quelle est la probabilité qu'au moins trois dispositifs recommandables soient partagés sur "
      "la plateforme collaborative d'ici 2030 ?"),
     ("¿Qué probabilidad hay de que al menos tres esquemas recomendables se compartan en la "
      "plataforma colaborativa de aquí a 2030?"), "2030", {"event_year": 2030}, 55.0),
    ("year",
     "By which year will a scheme endorsed by the Initiative be used in a national carbon market?",
     ("En quelle année un dispositif reconnu par l'Initiative sera-t-il utilisé sur un marché "
      "national du carbone ?"),
     ("¿En qué año se utilizará en un mercado nacional de carbono un esquema respaldado por la "
      "Iniciativa?"), None, {"min": 2026, "max": 2050}, 2034.0),
    ("ranking", "Rank these six strategies by the difference they would make to the 2030 target.",
     "Classez ces six stratégies selon leur effet sur l'objectif 2030.",
     "Ordene estas seis estrategias según el efecto que tendrían en la meta de 2030.", "2030",
     {"options": [0, 1, 2, 5, 6, 7], "top_k": None}, None),
]
#: The background of the estimates: where their target comes from, per language.
TARGET_NOTE = {
    "en": "The plan's target is 3 to 5 by {year}; the chart marks 3, its lower end. "
          "Baseline: none identified in 2020.",
    "fr": "La cible du plan est de 3 à 5 d'ici {year} ; le graphique indique 3, sa borne "
          "inférieure. Situation de référence : aucun identifié en 2020.",
    "es": "La meta del plan es de 3 a 5 para {year}; el gráfico marca 3, su extremo inferior. "
          "Línea de base: ninguno identificado en 2020.",
}

#: Simulated comments, in the writer's language.
COMMENTS = {
    "en": ["Evidence from pilots in our region supports this.",
           "Feasible only with public co-funding in the first years.",
           "The MRV costs would exclude most small farms.",
           "This needs a clear definition before we can rate it.",
           "Strongly agree: transparency is what buyers ask for.",
           "Risk of greenwashing if the criteria are weak."],
    "fr": ["Les projets pilotes de notre région vont dans ce sens.",
           "Faisable seulement avec un cofinancement public les premières années.",
           "Les coûts de MRV excluraient la plupart des petites exploitations.",
           "Il faut une définition claire avant de pouvoir évaluer.",
           "Tout à fait d'accord : la transparence est ce que demandent les acheteurs.",
           "Risque d'écoblanchiment si les critères sont faibles."],
    "es": ["Los proyectos piloto de nuestra región lo respaldan.",
           "Solo es viable con cofinanciación pública en los primeros años.",
           "Los costes de MRV excluirían a la mayoría de las pequeñas explotaciones.",
           "Hace falta una definición clara antes de poder valorarlo.",
           "Totalmente de acuerdo: la transparencia es lo que piden los compradores.",
           "Riesgo de lavado verde si los criterios son débiles."],
}


@dataclass(frozen=True)
class DemoLogins:
    admin: str
    moderator: str
    panellist: str
    researcher: str
    password: str = DEMO_PASSWORD


def existing_demo() -> Study | None:
    return db.session.scalar(select(Study).where(Study.title == DEMO_TITLE))


def logins() -> DemoLogins:
    return DemoLogins(admin="secretariat@demo.example.org", moderator="moderator@demo.example.org",
                      panellist="panellist@demo.example.org", researcher="researcher@demo.example.org")


_HASH: dict[str, str] = {}


def _user(email, name, organisation, region, group, language="en", admin=False) -> User:
    if "demo" not in _HASH:
        _HASH["demo"] = hash_password(DEMO_PASSWORD)  # one hash for all demo accounts
    return register(Registration(email=email, password=DEMO_PASSWORD, name=name,
                                 organisation=organisation, country="", region=region,
                                 stakeholder_group=group, language=language, consent=True,
                                 time_zone=REGION_ZONES.get(region)),
                    is_admin=admin, password_hash=_HASH["demo"])


def load_demo(*, now: datetime | None = None, seed: int = 2020) -> DemoLogins:
    """Create the demo (the caller commits). Returns the logins to print."""
    now = now or utcnow()
    rng = np.random.default_rng(seed)
    who = logins()
    for name, status in ORGANISATIONS:
        organisation_named(name).status = status
    regions = [r.name for r in db.session.scalars(select(Region).order_by(Region.position))]
    tf = task_force_by_code("A5")

    admin = _user(who.admin, "Secretariat (demo)", "INRAE", regions[2], "international_organisation",
                  admin=True)
    moderator = _user(who.moderator, "Moderator (demo)", "CIRAD", regions[2], "research")
    researcher = _user(who.researcher, "Researcher (demo)", "INRAE", regions[2], "research")
    cutoff = now - timedelta(days=120)

    members: list[User] = []
    for k in range(60):
        email = who.panellist if k == 0 else f"member{k:02d}@demo.example.org"
        name = f"{FIRST[k % len(FIRST)]} {LAST[(k * 7) % len(LAST)]}"
        organisation, status = ORGANISATIONS[k % len(ORGANISATIONS)]
        region = regions[k % len(regions)]
        language = {1: "fr", 3: "es"}.get(k % 4, "en")
        user = _user(email, name, organisation, region, STAKEHOLDERS[k % len(STAKEHOLDERS)], language)
        may_lead = status in (MembershipStatus.member, MembershipStatus.partner)
        role = TaskForceRole.team_member
        if may_lead and k in (3, 8):
            role = TaskForceRole.regional_representative
        if may_lead and k == 2:
            role = TaskForceRole.global_leader
        joined = cutoff - timedelta(days=int(rng.integers(1, 60))) if k < 52 else cutoff + timedelta(days=10)
        pending = role is not TaskForceRole.team_member and k == 8
        region_row = db.session.scalar(select(Region).where(Region.name == region))
        db.session.add(Membership(
            user_id=user.id, task_force_id=tf.id, role=role, region_id=region_row.id,
            status=ApprovalStatus.pending if pending else ApprovalStatus.approved, joined_at=joined,
            decided_at=None if pending or role is TaskForceRole.team_member else joined,
            decided_by_id=None if pending or role is TaskForceRole.team_member else admin.id))
        members.append(user)
    db.session.flush()

    start = now - timedelta(days=70)
    study = rounds.create_study(
        tf, DEMO_TITLE, actor=admin,
        description="Which strategies should Task Force A5 pursue so that 3 to 5 commendable "
                    "compensation schemes are identified by 2030, and alternative economic "
                    "instruments explored by 2050?",
        scale_points=5, criteria=("importance", "feasibility"), max_rounds=4,
        panel_cutoff=cutoff.date(), require_reason_outside_iqr=False, now=start)
    for language, texts in STUDY_TRANSLATIONS.items():
        rounds.set_study_translations(study, language, texts, actor=moderator, now=start)
    rounds.assign_staff(study, moderator, StaffRole.moderator, actor=admin, now=start)
    rounds.assign_staff(study, researcher, StaffRole.researcher, actor=admin, now=start)
    items = []
    for text, french, spanish, target, *_ in ITEMS:
        items.append(rounds.add_item(study, text, actor=moderator, target=target,
                                     translations={"fr": {"text": french}, "es": {"text": spanish}}))
    latent = {item.id: spec for item, spec in zip(items, ITEMS)}
    indicators = {i.position: i.id for i in db.session.scalars(
        select(Indicator).where(Indicator.task_force_id == tf.id))}
    for kind, text, french, spanish, target, params, centre in KIND_ITEMS:
        params = dict(params)
        translations = {"fr": {"text": french}, "es": {"text": spanish}}
        background = ""
        if kind == "estimate":
            params["indicator"] = indicators.get(params["indicator"])
            notes = {lang: note.format(year=params["target"]["year"])
                     for lang, note in TARGET_NOTE.items()}
            background = notes.pop("en")
            for lang, note in notes.items():
                translations[lang]["background"] = note
                translations[lang]["unit"] = UNITS[params["unit"]][lang]
        if kind == "ranking":
            params["options"] = [{"item": items[j].id} for j in params["options"]]
        item = rounds.add_item(study, text, actor=moderator, target=target, kind=kind,
                               params=params, background=background, translations=translations)
        items.append(item)
        latent[item.id] = (kind, centre)

    round_ = rounds.draft_round(study, actor=moderator, items=items, now=start)
    previous: dict[tuple[int, int, str], int] = {}
    response_rates = [0.92, 0.86, 0.80, 0.45]
    for number in range(1, 5):
        opened = start + timedelta(days=21 * (number - 1))
        rounds.open_round(round_, actor=moderator, closes_at=opened + timedelta(days=14), now=opened)
        panel = db.session.scalars(select(Panellist).where(
            Panellist.study_id == study.id, Panellist.status == PanellistStatus.active)
            .order_by(Panellist.id)).all()
        for p_index, panellist in enumerate(panel):
            if rng.random() > response_rates[number - 1]:
                continue
            answers = _simulate(rng, round_, panellist, latent, previous, number, study.criteria)
            submit = number < 4 or rng.random() < 0.8
            needed = rounds.consent_needed(panellist)  # read at their first answer
            if needed is not None:
                rounds.accept_consent(panellist, needed.version, language=panellist.user.language,
                                      now=opened + timedelta(days=1 + p_index % 10))
            rounds.save_answers(round_, panellist, answers, submit=submit,
                                now=opened + timedelta(days=1 + p_index % 10))
        if number == 4:
            break
        report = rounds.close_round(round_, actor=moderator, now=opened + timedelta(days=14))
        if report.next_round is None:
            break
        round_ = report.next_round
    db.session.flush()
    return who


def _simulate(rng, round_, panellist, latent, previous, number, criteria):
    """Ratings that drift towards the group's previous median, contested items excepted."""
    ratings = []
    comments = {}
    for round_item in round_.round_items:
        item_id = round_item.item_id
        if round_item.item.kind != "rating":
            value = _simulate_kind(rng, round_item, panellist, latent[item_id][1], previous)
            ratings.append(rounds.RatingInput(item_id=item_id, criterion=None, value=value))
            continue
        _text, _fr, _es, _target, importance, feasibility, contested = latent[item_id]
        for criterion, mean in zip(criteria, (importance, feasibility)):
            key = (panellist.id, item_id, criterion)
            if rng.random() < 0.03:
                value = None
            elif key not in previous or previous[key] is None:
                if contested:
                    camp = 1.8 if panellist.id % 2 else 4.4
                    value = int(np.clip(np.rint(rng.normal(camp, 0.6)), 1, 5))
                else:
                    value = int(np.clip(np.rint(rng.normal(mean, 1.1)), 1, 5))
            else:
                value = previous[key]
                feedback = (round_item.feedback or {}).get("criteria", {}).get(criterion) or {}
                median = feedback.get("median")
                if median is not None and not contested and rng.random() < 0.6:
                    value = int(value + np.sign(np.rint(median) - value))
            previous[key] = value
            ratings.append(rounds.RatingInput(item_id=item_id, criterion=criterion, value=value,
                                              reason=None))
        if rng.random() < 0.12:
            pool = COMMENTS.get(panellist.user.language or "en", COMMENTS["en"])
            comments[item_id] = pool[int(rng.integers(len(pool)))]
    return rounds.AnswerSet(ratings=ratings, comments=comments)


def _simulate_kind(rng, round_item, panellist, centre, previous):
    """An answer of another kind that moves towards the group's previous median
    (rankings: a shared order, with less noise each round)."""
    item = round_item.item
    params = item.params
    key = (panellist.id, item.id, "")
    figures = (round_item.feedback or {}).get("figures") or {}
    before = previous.get(key)
    if rng.random() < 0.03:
        previous[key] = None
        return None
    if item.kind == "ranking":
        ids = [o["id"] for o in params["options"]]
        rounds_seen = 1 + int(round_item.feedback is not None) + int(before is not None)
        utility = -np.arange(len(ids)) + rng.normal(0, 3.0 / rounds_seen, len(ids))
        value = [ids[j] for j in np.argsort(-utility)]
        previous[key] = value
        return value
    median = figures.get("median")
    if item.kind == "estimate":
        own = before["p50"] if isinstance(before, dict) else before
        if own is None or median is None:
            own = rng.normal(centre, 2.5)
        else:
            own = own + 0.6 * (median - own) + rng.normal(0, 0.3)
        p50 = float(np.clip(round(own, 1), params["min"], params["max"]))
        if not params["quantiles"]:
            value = p50
        else:
            low = float(np.clip(round(p50 - abs(rng.normal(1.5, 0.5)), 1), params["min"], p50))
            high = float(np.clip(round(p50 + abs(rng.normal(2.5, 0.8)), 1), p50, params["max"]))
            value = {"p10": low, "p50": p50, "p90": high}
    elif item.kind == "probability":
        own = before if before is not None and median is not None else rng.normal(centre, 22)
        if before is not None and median is not None:
            own = own + 0.6 * (median - own) + rng.normal(0, 3)
        value = float(np.clip(round(own), 0, 100))
    else:  # year: contested, two camps that never meet (it stays on the agenda)
        if before == "later" and rng.random() < 0.7:
            previous[key] = "later"
            return "later"
        camp = centre - 4 if panellist.id % 2 else centre + 8
        own = rng.normal(camp, 2.0)
        value = "later" if own > params["max"] else int(np.clip(round(own), params["min"],
                                                                 params["max"]))
    previous[key] = value
    return value
