"""The dashboard and the report of a closed round mixing every kind of question
(issue 11): each kind's table shows the frozen figures, formatted by the
reader's locale, with its verdict and its chart; rating items are unchanged.

The answers are deterministic (panellist ``i`` of 12), so some figures are
known in advance; the rest are read from the frozen ``ItemStatistics`` rows.
"""
from __future__ import annotations

import html as html_module
import re

import pytest
from babel.numbers import format_decimal, format_percent
from sqlalchemy import select

from tests.factories import add_mixed_items, answer_round, build_study, close
from tests.test_dashboard import PNG_SIGNATURE, VERDICT_TEXT, tables

N = 12


def mixed_answer(world, ids):
    """``value(email, item_id, criterion)`` for :func:`answer_round`."""
    estimate_q, estimate_v, probability, year, ranking = ids

    def value(email, item_id, criterion):
        i = world.panellists.index(email)
        if item_id == estimate_q:
            p50 = 30.0 + 5 * i                       # 30 .. 85
            return {"p10": p50 - 10, "p50": p50, "p90": p50 + 10}
        if item_id == estimate_v:
            return 20.0 + 10 * i                     # 20 .. 130; 9 of 12 reach 50
        if item_id == probability:
            return 5.0 + 8 * i                       # 5 .. 93
        if item_id == year:
            return 2030 + i if i < 5 else "later"    # 7 of 12 "later"
        if item_id == ranking:
            return [1, 2, 3, 4] if i % 2 == 0 else [2, 1, 3, 4]
        k = world.item_ids.index(item_id)
        return (i + k) % 5 + 1

    return value


def build_mixed(app):
    """A study of 12 panellists, 3 rating items and one item of each other kind,
    round 1 answered and closed. Returns (world, [estimate with quantiles,
    estimate single value, probability, year, ranking])."""
    world = build_study(app, n_panellists=N, n_items=3)
    ids = add_mixed_items(app, world)
    answer_round(app, world, 1, mixed_answer(world, ids))
    close(app, world, 1)
    return world, ids


def frozen_rows(app, world, number=1):
    """``{item_id: ItemStatistics}`` of the non-rating items of round ``number``."""
    from delphi.core.database import db
    from delphi.core.models import ItemStatistics, Round

    with app.app_context():
        rnd = db.session.scalar(select(Round).where(Round.study_id == world.study_id,
                                                    Round.number == number))
        rows = db.session.scalars(select(ItemStatistics).where(
            ItemStatistics.round_id == rnd.id, ItemStatistics.criterion == "")).all()
        for row in rows:
            db.session.expunge(row)
        return {row.item_id: row for row in rows}


def dec(value, places=2, locale="en"):
    return format_decimal(value, format="#,##0." + "#" * places, locale=locale)


def year_text(value, locale="en"):
    return str(int(value)) if float(value).is_integer() else format_decimal(
        value, format="0.#", locale=locale)


def share(value, locale="en"):
    return format_percent(value, format="#,##0.0%" if locale == "en" else "#,##0.0\u00a0%",
                          locale=locale)


def row_of(table, item_id):
    return next(cells for attrs, cells in table if dict(attrs).get("data-item") == str(item_id))


def speaks(app, email, language):
    """The user reads the site in ``language`` (their preference beats the browser's)."""
    from delphi.core.database import db
    from delphi.core.models import User

    with app.app_context():
        db.session.scalar(select(User).where(User.email == email)).language = language
        db.session.commit()


@pytest.fixture
def mixed(app):
    return build_mixed(app)


def test_the_round_page_shows_each_kinds_frozen_figures(app, client, auth, mixed):
    world, (eq, ev, prob, year, rank) = mixed
    stats = frozen_rows(app, world)
    auth.login(world.moderator)
    html = client.get(f"/studies/{world.study_id}/dashboard/rounds/1").get_data(as_text=True)
    found = tables(html)

    # Estimates: n, median, Q1, Q3, IQR, dispersion, aggregate, target share, median gap.
    est = found["kind-estimate-table"]
    s = stats[eq]
    cells = row_of(est, eq)
    agg = s.details["aggregate"]
    assert cells[0].endswith("(%)")                     # the unit
    assert cells[1:5] == [str(s.n), dec(s.median), f"{dec(s.q1)} – {dec(s.q3)}", dec(s.iqr)]
    assert cells[5] == dec(s.details["dispersion"], 3)
    assert cells[6] == f"{dec(agg['p10'])} · {dec(agg['p50'])} · {dec(agg['p90'])}"
    # Quantile averaging of (p50 - 10, p50, p50 + 10): the P50s' mean, 57.5, +/- 10.
    assert (agg["p10"], agg["p50"], agg["p90"]) == pytest.approx((47.5, 57.5, 67.5))
    assert cells[7] == "14.3 (2019) → 100 (2030)"
    assert cells[8] == share(0.0)                        # nobody expects 100 %
    assert cells[9] == "−" + dec(-s.details["median_gap"])
    assert cells[10] == VERDICT_TEXT[s.verdict]
    cells = row_of(est, ev)
    s = stats[ev]
    assert cells[1:5] == [str(s.n), dec(s.median), f"{dec(s.q1)} – {dec(s.q3)}", dec(s.iqr)]
    assert cells[6] == "—"                               # single values: no aggregate
    assert cells[8] == share(0.75)                       # 9 of 12 reach 50 events
    assert cells[9] == "+" + dec(s.details["median_gap"])

    # Probability: median, quartiles, IQR in points.
    s = stats[prob]
    cells = row_of(found["kind-probability-table"], prob)
    assert cells[1:6] == ["2030", str(s.n), dec(s.median, 1),
                          f"{dec(s.q1, 1)} – {dec(s.q3, 1)}", dec(s.iqr, 1)]

    # Year: 7 of 12 answered "later": the median and Q3 are "later".
    s = stats[year]
    assert s.details["median_later"] and s.details["q3_later"] and not s.details["q1_later"]
    cells = row_of(found["kind-year-table"], year)
    assert cells[1:5] == ["2025–2050", str(s.n), "later", f"{year_text(s.q1)} – later"]
    assert cells[7] == VERDICT_TEXT["no_consensus"]      # an open IQR is no consensus
    assert cells[6] == share(7 / 12)

    # Ranking: W, chi2, df, p; options by mean rank with rank sum and top-three share.
    s = stats[rank]
    cells = row_of(found["kind-ranking-table"], rank)
    assert cells[1:5] == [str(s.n), dec(s.details["w"], 3), dec(s.details["chi2"], 2),
                          str(s.details["df"])]
    assert cells[6] == "Training"                        # option 1 and 2 tie; 1 first
    options = found[f"ranking-{rank}-table"]
    assert [c[0] for _a, c in options[1:]] == ["Training", "Funding", "Monitoring",
                                               "Policy dialogue"]
    by_id = {o["option"]: o for o in s.details["options"]}
    assert options[3][1] == ["Monitoring", dec(by_id[3]["mean_rank"]),
                             dec(by_id[3]["rank_sum"], 1), share(by_id[3]["top3_share"])]
    assert by_id[3]["mean_rank"] == 3 and by_id[3]["top3_share"] == 1

    # Every item's chart is there, with its alt text and a working image.
    for item_id in (eq, ev, prob, year, rank):
        match = re.search(rf'<figure class="chart" id="kind-chart-{item_id}">\s*<img src="([^"]+)" '
                          r'alt="([^"]+)"', html)
        assert match, item_id
        image = client.get(match.group(1).replace("&amp;", "&"))
        assert image.status_code == 200 and image.data.startswith(PNG_SIGNATURE)
    assert f"/items/{eq}/charts/target.png" in html
    assert f"/items/{rank}/charts/ranking.png" in html
    assert f"/items/{year}/charts/distribution.png" in html


def test_rating_items_keep_their_table_and_the_subgroups_say_what_they_cover(
        app, client, auth, mixed):
    world, _ids = mixed
    auth.login(world.researcher)
    html = client.get(f"/studies/{world.study_id}/dashboard/rounds/1").get_data(as_text=True)
    found = tables(html)
    codes = [cells[0].split()[0] for _attrs, cells in found["item-table"][1:]]
    assert codes == ["I01", "I02", "I03"]                # the rating items only
    assert "3 of 3 item × criterion rows" in html
    assert "Subgroup tables cover the rating items only" in html
    assert 'id="subgroups-kinds"' in html


def test_a_study_of_rating_items_only_shows_no_kind_section(app, client, auth):
    world = build_study(app, n_panellists=6, n_items=2)
    answer_round(app, world, 1)
    close(app, world, 1)
    auth.login(world.moderator)
    html = client.get(f"/studies/{world.study_id}/dashboard/rounds/1").get_data(as_text=True)
    assert 'id="kinds"' not in html and "subgroups-kinds" not in html


def test_the_item_page_of_each_kind(app, client, auth, mixed):
    world, (eq, ev, prob, year, rank) = mixed
    stats = frozen_rows(app, world)
    auth.login(world.moderator)
    base = f"/studies/{world.study_id}/dashboard/rounds/1/items"
    for item_id, label in ((eq, "Estimate"), (ev, "Estimate"), (prob, "Probability"),
                           (year, "Year"), (rank, "Ranking")):
        response = client.get(f"{base}/{item_id}")
        assert response.status_code == 200, item_id
        html = response.get_data(as_text=True)
        assert f'<h2 id="kind-h">{label}</h2>' in html
        figures = {cells[0]: cells[1] for _a, cells in tables(html)["kind-figures-table"]}
        s = stats[item_id]
        assert figures["n"] == str(s.n)
        if label != "Ranking":
            assert figures["IQR" if label == "Estimate" else
                           ("IQR (points)" if label == "Probability" else "IQR (years)")] \
                == ("—" if s.iqr is None else dec(s.iqr, 2 if label == "Estimate" else 1))
        src = re.search(r'<figure class="chart" id="kind-chart">\s*<img src="([^"]+)"', html)
        image = client.get(src.group(1))
        assert image.status_code == 200 and image.data.startswith(PNG_SIGNATURE)
        svg = client.get(src.group(1).replace(".png", ".svg"))
        assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    figures = {c[0]: c[1] for _a, c in tables(client.get(f"{base}/{year}").get_data(
        as_text=True))["kind-figures-table"]}
    assert figures["Median"] == "later" and figures["Answered “later”"] == share(7 / 12)
    figures = {c[0]: c[1] for _a, c in tables(client.get(f"{base}/{ev}").get_data(
        as_text=True))["kind-figures-table"]}
    assert figures["Reaching the target"] == share(0.75)
    assert figures["Target"] == "50 (2030)" and figures["Aggregate P10 · P50 · P90"] == "—"
    # A chart the item does not have is a 404; so is an unknown chart.
    assert client.get(f"{base}/{prob}/charts/target.png").status_code == 404
    assert client.get(f"{base}/{rank}/charts/distribution.png").status_code == 404
    assert client.get(f"{base}/{eq}/charts/nope.png").status_code == 404
    # A rating item's page is unchanged.
    html = client.get(f"{base}/{world.item_ids[0]}").get_data(as_text=True)
    assert "distribution-1-table" in html and "kind-figures-table" not in html


def test_a_panellist_sees_no_dashboard_chart(app, client, auth, mixed):
    world, (eq, *_rest) = mixed
    auth.login(world.panellists[0])
    url = f"/studies/{world.study_id}/dashboard/rounds/1/items/{eq}/charts/target.png"
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("language, words", [
    ("fr", {"label": "Estimation", "later": "plus tard", "decimal": ","}),
    ("es", {"label": "Estimación", "later": "más tarde", "decimal": ","}),
])
def test_the_round_page_in_french_and_spanish(app, client, auth, mixed, language, words):
    world, (eq, _ev, _prob, year, _rank) = mixed
    stats = frozen_rows(app, world)
    speaks(app, world.moderator, language)
    auth.login(world.moderator)
    html = client.get(f"/studies/{world.study_id}/dashboard/rounds/1").get_data(as_text=True)
    assert f'id="kind-estimate-h">{words["label"]} (2)' in html
    cells = row_of(tables(html)["kind-estimate-table"], eq)
    assert cells[2] == dec(stats[eq].median, locale=language)
    assert words["decimal"] in cells[2] or float(stats[eq].median).is_integer()
    assert cells[7] == "14,3 (2019) → 100 (2030)"
    cells = row_of(tables(html)["kind-year-table"], year)
    assert cells[3] == words["later"]
    # The alt text of the gap-to-target chart is in the reader's language.
    alt = html_module.unescape(
        re.search(rf'id="kind-chart-{eq}">\s*<img src="[^"]+" alt="([^"]+)"', html).group(1))
    assert ("Cible 100\u00a0% d'ici 2030" if language == "fr"
            else "Meta 100\u00a0% para 2030") in alt
    assert "14,3" in alt
    # A quartile between two years is written as a year, never grouped ("2 032,8").
    alt = html_module.unescape(
        re.search(rf'id="kind-chart-{year}">\s*<img src="[^"]+" alt="([^"]+)"', html).group(1))
    q1 = year_text(stats[year].q1, language)
    assert f" {q1} " in alt and "\u202f" not in q1 and "\u00a0" not in q1


@pytest.mark.parametrize("language, heading, caption", [
    ("en", "Estimate", "Gap to target"),
    ("fr", "Estimation", "Écart à la cible"),
    ("es", "Estimación", "Brecha con la meta"),
])
def test_the_report_shows_each_kinds_table_and_chart(app, client, auth, mixed, language,
                                                     heading, caption):
    world, (eq, _ev, _prob, year, rank) = mixed
    stats = frozen_rows(app, world)
    speaks(app, world.researcher, language)
    auth.login(world.researcher)
    response = client.get(f"/studies/{world.study_id}/report")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    found = tables(html)
    assert f'<h4 id="round-1-estimate">{heading}</h4>' in html
    cells = row_of(found["round-1-estimate-table"], eq)
    assert cells[1:3] == [str(stats[eq].n), dec(stats[eq].median, locale=language)]
    assert "<a href" not in str(cells)
    assert row_of(found["round-1-ranking-table"], rank)[1] == str(stats[rank].n)
    assert row_of(found["round-1-year-table"], year)[3] == {"en": "later", "fr": "plus tard",
                                                          "es": "más tarde"}[language]
    # One chart per item, inlined, the gap-to-target chart for both estimates.
    assert html.count(f"· {caption}</figcaption>") == 2
    figures = re.findall(r'<img src="data:image/png;base64,[^"]+" alt="([^"]*)">'
                         r'<figcaption>(I0\d)', html)
    assert [code for _alt, code in figures] == ["I04", "I05", "I06", "I07", "I08"]
    alt = {code: a for a, code in figures}["I04"]
    assert dec(stats[eq].details["aggregate"]["p50"], locale=language) in alt
    # The final item list gives each item's kind and its verdict.
    final = {cells[0]: cells for _a, cells in found["final-items"][1:]}
    kind = {"en": "Ranking", "fr": "Classement", "es": "Clasificación"}[language]
    from flask_babel import force_locale

    from rounds.vocabulary import VERDICT_LABELS

    with app.test_request_context(), force_locale(language):  # the verdict in the reader's words
        verdict = str(VERDICT_LABELS[stats[rank].verdict])
    assert final["I08"][2:5] == [kind, "1", verdict]
    assert final["I01"][2] == {"en": "Rating", "fr": "Évaluation", "es": "Valoración"}[language]


def test_a_round_where_nobody_could_answer_the_other_kinds(app, client, auth):
    """Every panellist answers "cannot answer" to the estimates, the probability,
    the year and the ranking: their rows are "too few responses", their charts
    say "no data", and no page fails."""
    world = build_study(app, n_panellists=6, n_items=1)
    ids = add_mixed_items(app, world)
    answer_round(app, world, 1, lambda email, item_id, criterion:
                 None if item_id in ids else 3)
    close(app, world, 1)
    stats = frozen_rows(app, world)
    assert {stats[i].verdict for i in ids} == {"insufficient_n"}
    auth.login(world.moderator)
    html = client.get(f"/studies/{world.study_id}/dashboard/rounds/1").get_data(as_text=True)
    found = tables(html)
    cells = row_of(found["kind-estimate-table"], ids[0])
    assert cells[1:3] == ["0", "—"] and cells[-1] == VERDICT_TEXT["insufficient_n"]
    assert row_of(found["kind-ranking-table"], ids[4])[1:3] == ["0", "—"]
    for item_id in ids:
        page = client.get(f"/studies/{world.study_id}/dashboard/rounds/1/items/{item_id}")
        assert page.status_code == 200, item_id
        alt = re.search(r'id="kind-chart">\s*<img src="([^"]+)" alt="([^"]+)"',
                        page.get_data(as_text=True))
        assert alt.group(2).endswith("no data to show yet."), alt.group(2)
        image = client.get(alt.group(1))
        assert image.status_code == 200 and image.data.startswith(PNG_SIGNATURE)
    auth.logout()
    auth.login(world.researcher)
    assert client.get(f"/studies/{world.study_id}/report").status_code == 200
