"""The charts of the question kinds (issue 11): the gap-to-target chart of an
estimate, the distribution of probability and year answers (with "later"),
the ranking chart; and the API route
``/api/v1/studies/{id}/rounds/{n}/items/{item}/target.{png|svg}``.

The specs are pure: their alt text states the numbers given, their bytes are
the same for the same inputs (the ETag of a frozen chart depends on it).
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from analysis.charts import AnswersChart, RankingChart, TargetChart
from analysis.charts.answers import year_width
from tests.factories import add_mixed_items, answer_round, build_study, close, get_round
from tests.test_dashboard import PNG_SIGNATURE
from tests.test_dashboard_kinds import build_mixed, frozen_rows, mixed_answer

P50S = [30.0, 35.0, 40.0, 45.0, 50.0, 55.0, 60.0, 65.0, 70.0, 75.0, 80.0, 85.0]


def target_spec(**kw):
    args = {"unit": "%", "aggregate": (47.5, 57.5, 67.5), "median": 57.5, "q1": 43.75, "q3": 71.25,
                "baseline": (14.3, 2019), "target": (100, 2030), "target_share": 0.0,
                "median_gap": -42.5, "bounds": (0, 100), "title": "I04"}
    args.update(kw)
    return TargetChart.from_estimates(P50S, **args)


# -- the gap-to-target chart ------------------------------------------------------

def test_the_target_charts_alt_text_states_every_number():
    alt = target_spec().alt
    for words in ("estimates of 12 panellists", "Baseline 14.3\u00a0% in 2019.",
                  "Target 100\u00a0% by 2030.",
                  "aggregate distribution: P10 47.5\u00a0%, P50 57.5\u00a0%, P90 67.5\u00a0%.",
                  "Median of the panellists' P50s 57.5\u00a0%.",
                  "Individual estimates from 30\u00a0% to 85\u00a0%.",
                  "0% of the panellists reach the target.",
                  "falls short of the target by 42.5 points."):
        assert words in alt, (words, alt)


def test_a_single_value_estimate_shows_its_median_and_quartiles():
    spec = TargetChart.from_estimates([20, 60, 100, 130], unit="events", median=80, q1=50,
                                      q3=107.5, baseline=(10, 2020), target=(50, None),
                                      target_share=0.75, median_gap=30, title="I05")
    assert spec.band == (50, 80, 107.5) and spec.band_kind == "quartiles"
    alt = spec.alt
    assert "Median 80\u00a0events, quartiles 50\u00a0events to 107.5\u00a0events." in alt
    assert "Target 50\u00a0events." in alt                 # no year given
    assert "75% of the panellists reach the target." in alt
    assert "exceeds the target by 30\u00a0events." in alt
    assert "aggregate" not in alt


def test_the_alt_text_takes_the_readers_words_and_number_format():
    french = {"{value} points": "{value} points", "Target {value} by {year}.":
              "Cible {value} d'ici {year}."}
    spec = target_spec(number=lambda x: f"{x:.2f}".rstrip("0").rstrip(".").replace(".", ","),
                       percent=lambda x: f"{x * 100:.0f}\u00a0%",
                       _=lambda message: french.get(message, message))
    assert "Cible 100\u00a0% d'ici 2030." in spec.alt
    assert "Baseline 14,3\u00a0% in 2019." in spec.alt     # untranslated words stay English
    assert "0\u00a0% of the panellists" in spec.alt


def test_the_charts_give_the_same_bytes_for_the_same_figures():
    for build in (target_spec,
                  lambda: AnswersChart.from_values([2030, 2031, 2044], scale="year", low=2025,
                                                   high=2050, n_later=2, median=2044,
                                                   q1=2030.5, q3_later=True),
                  lambda: RankingChart.from_options(["A", "B", "C"], [1.5, 1.5, 3], [1, 1, 1],
                                                    n=4, w=0.75)):
        one, two = build(), build()
        for fmt in ("png", "svg"):
            first, second = one.render(fmt), two.render(fmt)
            assert first.data == second.data, (type(one).__name__, fmt)
            assert first.alt == one.alt
        assert one.render("png").data.startswith(PNG_SIGNATURE)
        root = ET.fromstring(one.render("svg").data)
        assert root.tag.endswith("svg")
    # Other figures, other bytes.
    assert target_spec().render("png").data != target_spec(target=(90, 2030)).render("png").data


@pytest.mark.parametrize("kwargs, message", [
    ({"aggregate": (50, 40, 60)}, "aggregate must be ordered"),
    ({"aggregate": (1, 2)}, "aggregate must be three"),
    ({"q1": 3, "q3": None, "aggregate": None}, "q1 and q3"),
    ({"target": (float("nan"), 2030)}, "target value must be finite"),
    ({"baseline": (1, 2019.5)}, "baseline year must be a whole number"),
    ({"target_share": 1.5}, "target_share"),
    ({"bounds": (10, 0)}, "bounds"),
])
def test_bad_figures_are_refused_naming_the_argument(kwargs, message):
    with pytest.raises(ValueError, match=message):
        target_spec(**kwargs)


def test_no_estimates_draw_a_no_data_chart():
    spec = TargetChart.from_estimates([], unit="%", target=(100, 2030), title="I04")
    assert spec.alt == "I04: no data to show yet."
    assert spec.render("png").data.startswith(PNG_SIGNATURE)


# -- probabilities and years ----------------------------------------------------------

def test_years_have_a_later_bar_and_later_quartiles():
    spec = AnswersChart.from_values([2030, 2031, 2032, 2033, 2034], scale="year", low=2025,
                                    high=2050, n_later=7, q1=2032.75, median_later=True,
                                    q3_later=True, title="I07")
    assert spec.n == 12 and len(spec.counts) == 26 and spec.bin_labels()[0] == "2025"
    alt = spec.alt
    assert "bar chart of 12 years." in alt
    assert "2030: 1; 2031: 1; 2032: 1; 2033: 1; 2034: 1; Later than 2050: 7." in alt
    assert "Median later than 2050." in alt
    assert "Quartiles 2032.75 to later than 2050." in alt
    assert "58% answered later than 2050." in alt


def test_long_year_ranges_are_grouped():
    assert year_width(2025, 2050) == 1 and year_width(1900, 2100) == 10
    spec = AnswersChart.from_values([1900, 1909, 2100], scale="year", low=1900, high=2100)
    assert spec.bin_labels()[0] == "1900–1909" and spec.bin_labels()[-1] == "2100"
    assert list(spec.counts[:1]) == [2] and spec.counts[-1] == 1


def test_probabilities_fall_in_bins_of_ten_points():
    spec = AnswersChart.from_values([0, 9.5, 10, 55, 100], scale="percent", low=0, high=100,
                                    median=10, q1=9.5, q3=55, title="I06")
    assert list(spec.counts) == [2, 1, 0, 0, 0, 1, 0, 0, 0, 1]
    assert "0–10: 2; 10–20: 1; 50–60: 1; 90–100: 1." in spec.alt
    assert "Median 10 %. Quartiles 9.5 % to 55 %." in spec.alt
    with pytest.raises(ValueError, match="n_later is for year items only"):
        AnswersChart.from_values([1], scale="percent", low=0, high=100, n_later=1)
    with pytest.raises(ValueError, match="between low and high"):
        AnswersChart.from_values([101], scale="percent", low=0, high=100)


# -- rankings -----------------------------------------------------------------------

def test_the_ranking_chart_lists_the_options_best_first():
    spec = RankingChart.from_options(["Training", "Funding", "Monitoring"], [2.5, 1.25, 2.25],
                                     [0.5, 1.0, 0.75], n=4, w=0.40625, title="I08")
    assert spec.labels == ("Funding", "Monitoring", "Training")
    assert spec.alt == ("I08: 3 options ranked by 4 panellists, best mean rank first; "
                        "Kendall's W = 0.41. Funding: mean rank 1.25, top three 100%. "
                        "Monitoring: mean rank 2.25, top three 75%. "
                        "Training: mean rank 2.5, top three 50%.")
    with pytest.raises(ValueError, match="mean_rank must lie between 1"):
        RankingChart.from_options(["A", "B"], [0.5, 2], [1, 1], n=2)


# -- the API route ----------------------------------------------------------------------

@pytest.fixture
def mixed(app):
    return build_mixed(app)


def _url(world, item, fmt="png", number=1):
    return f"/api/v1/studies/{world.study_id}/rounds/{number}/items/{item}/target.{fmt}"


def test_the_target_chart_of_each_estimate_as_png_and_svg(app, client, auth, mixed):
    from delphi.charts.cache import cache_for

    world, (eq, _ev, *_rest) = mixed
    stats = frozen_rows(app, world)
    headers = auth.token(world.researcher)
    png = client.get(_url(world, "I04"), headers=headers)
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert png.data.startswith(PNG_SIGNATURE)
    alt = png.headers["X-Chart-Alt"]  # whitespace folded to spaces, non-ASCII escaped
    aggregate = stats[eq].details["aggregate"]
    assert "P10 47.5 %, P50 57.5 %, P90 67.5 %" in alt
    assert (aggregate["p10"], aggregate["p50"], aggregate["p90"]) == pytest.approx((47.5, 57.5, 67.5))
    assert "Baseline 14.3 % in 2019" in alt and "Target 100 % by 2030" in alt
    by_id = client.get(_url(world, eq), headers=headers)
    assert by_id.data == png.data
    svg = client.get(_url(world, "I05", "svg"), headers=headers)
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert ET.fromstring(svg.data).tag.endswith("svg")
    assert "75% of the panellists reach the target" in svg.headers["X-Chart-Alt"]
    # Frozen: cached, with a strong ETag.
    cache = cache_for(app)
    hits = cache.hits
    again = client.get(_url(world, "I04"), headers=headers)
    assert cache.hits == hits + 1 and again.data == png.data
    assert again.headers["Cache-Control"] == "private, max-age=86400"
    etag = again.headers["ETag"]
    assert client.get(_url(world, "I04"), headers={**headers, "If-None-Match": etag}
                      ).status_code == 304


def test_the_target_chart_in_french(app, client, auth, mixed):
    world, _ids = mixed
    headers = {**auth.token(world.moderator), "Accept-Language": "fr"}
    alt = client.get(_url(world, "I04"), headers=headers).headers["X-Chart-Alt"]
    assert alt.startswith("I04 \\xb7 \\xc9cart \\xe0 la cible")
    assert "14,3" in alt and "42,5 points" in alt


def test_items_without_a_target_chart_are_404(app, client, auth, mixed):
    world, (_eq, _ev, prob, _year, _rank) = mixed
    headers = auth.token(world.admin)
    for item in ("I01", "I06", "I07", "I08", str(prob), "I99", "99999999999"):
        response = client.get(_url(world, item), headers=headers)
        assert response.status_code == 404, item
        assert response.get_json()["error"]["code"] == "not_found"
    assert client.get(_url(world, "I04", "gif"), headers=headers).status_code == 404
    assert client.get(_url(world, "I04", number=9), headers=headers).status_code == 404


def test_an_estimate_without_target_or_outside_the_round_is_404(app, client, auth):
    import rounds
    from delphi.core.database import db
    from delphi.core.models import Study
    from tests.factories import user_by_email

    world = build_study(app, n_panellists=6, n_items=1)
    ids = add_mixed_items(app, world)
    with app.app_context():
        study = db.session.get(Study, world.study_id)
        admin = user_by_email(world.admin)
        plain = rounds.add_item(study, "Budget in 2030", kind="estimate",
                                params={"unit": "k€", "min": 0, "max": 5000}, actor=admin)
        later = rounds.add_item(study, "Not in round 1", kind="estimate",
                                params={"unit": "%", "min": 0, "max": 100,
                                        "target": {"value": 50, "year": 2030}}, actor=admin)
        rnd = get_round(world, 1)
        rounds.set_round_items(rnd, [*world.item_ids, plain.id], actor=admin)
        db.session.commit()
        plain_id, later_id = plain.id, later.id
    world.item_ids.append(plain_id)
    answer_round(app, world, 1, mixed_answer_with_plain(world, ids, plain_id))
    headers = auth.token(world.moderator)
    # Open, not closed: the statistics are not frozen yet.
    response = client.get(_url(world, ids[0]), headers=headers)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "invalid_state"
    close(app, world, 1)
    assert client.get(_url(world, ids[0]), headers=headers).status_code == 200
    for item in (plain_id, later_id):
        response = client.get(_url(world, item), headers=headers)
        assert response.status_code == 404, item


def mixed_answer_with_plain(world, ids, plain_id):
    value = mixed_answer(world, ids)

    def answer(email, item_id, criterion):
        if item_id == plain_id:
            return 100.0 * (1 + world.panellists.index(email))
        return value(email, item_id, criterion)

    return answer


def test_only_staff_get_the_target_chart(app, client, auth, mixed, make_user):
    world, _ids = mixed
    assert client.get(_url(world, "I04")).status_code == 401
    for email in (world.panellists[0], make_user().email):
        response = client.get(_url(world, "I04"), headers=auth.token(email))
        assert response.status_code == 403
        assert response.get_json()["error"]["code"] == "forbidden"
    for email in (world.moderator, world.researcher, world.admin):
        assert client.get(_url(world, "I04"), headers=auth.token(email)).status_code == 200


def test_the_openapi_document_lists_the_target_route(client):
    document = client.get("/api/v1/openapi.json").get_json()
    path = "/api/v1/studies/{study_id}/rounds/{number}/items/{item}/target.{format}"
    operation = (document["paths"].get(path) or document["paths"].get(
        path.removeprefix("/api/v1")))["get"]
    assert set(operation["responses"]) >= {"200", "304", "401", "403", "404", "409"}
