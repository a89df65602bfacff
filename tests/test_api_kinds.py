"""The question kinds through the JSON API (issue 11 §5): a study mixing the five
kinds drafted, answered, closed and fed back through the real app with real
tokens; bad answers and bad parameters refused by name, changing nothing."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sqlalchemy import func, select

from tests.factories import build_study, consent_through_api

BASE = "/api/v1/studies"
N_PANELLISTS = 12
RANK_ORDERS = ([1, 2, 3, 4], [4, 3, 2, 1], [2, 1, 4, 3])

#: The round's items, in order: one of every kind (two estimates, two rankings).
NAMES = ("rating", "estimate_q", "estimate_ind", "probability", "year", "ranking", "ranking_top")


def items_body(indicator_id: int) -> list[dict]:
    return [
        {"text": "Train extension officers in soil-carbon measurement"},
        {"kind": "estimate", "text": "Share of partners with soil-carbon targets in their NDCs "
                                     "by 2030", "unit": "%", "min": 0, "max": 100,
         "quantiles": True, "baseline": {"value": 14.3, "year": 2019},
         "target": {"value": 100, "year": 2030}},
        {"kind": "estimate", "text": "Projects evaluated a year by 2030", "min": 0, "max": 196,
         "quantiles": False, "indicator": indicator_id},
        {"kind": "probability", "text": "Soil carbon is reported in every partner's NDC",
         "event_year": 2030},
        {"kind": "year", "text": "Year by which half of the partners monitor soil carbon",
         "min": 2025, "max": 2050},
        {"kind": "ranking", "text": "Rank these strategies by their expected effect",
         "options": ["Training", {"text": "Funding",
                                  "translations": {"fr": "Financement", "es": "Financiación"}},
                     "Monitoring", "Policy dialogue"]},
        {"kind": "ranking", "text": "Your two most urgent actions",
         "options": ["Maps", "Laboratories", "Incentives", "Extension", "Research"], "top_k": 2},
    ]


def answer_of(name: str, k: int):
    """Panellist ``k``'s answer to the item ``name`` (recomputed by the tests)."""
    if name == "rating":
        return 1 + k % 5
    if name == "estimate_q":
        return {"p10": 5 + 7 * k, "p50": 10 + 7 * k, "p90": 20 + 7 * k}
    if name == "estimate_ind":
        return None if k == 0 else 20 + 13 * k          # whole numbers are numbers too
    if name == "probability":
        return 62.5 if k == 1 else 50 + (k % 4) * 10
    if name == "year":
        return "later" if k >= 10 else 2030 + k
    if name == "ranking":
        return RANK_ORDERS[k % 3]
    if name == "ranking_top":
        return [k % 5 + 1, (k + 2) % 5 + 1]
    raise AssertionError(name)


def answers_body(ids: dict, k: int, *, submit=True) -> dict:
    ratings = []
    for name in NAMES:
        entry = {"item": ids[name], "value": answer_of(name, k)}
        if name == "rating":
            entry["criterion"] = "importance"
        if name == "estimate_q" and k == 2:
            entry["reason"] = "Past NDC cycles"
            entry["comment"] = "Depends on the 2025 NDC round."
        ratings.append(entry)
    return {"ratings": ratings, "submit": submit}


def type7(values, p):
    return float(np.quantile(np.asarray(values, dtype=float), p, method="linear"))


def rank_rows(orders, n_options):
    """The rank matrix of (partial) rankings: unranked options share the mean of
    the remaining ranks."""
    rows = []
    for order in orders:
        row = np.zeros(n_options)
        for position, option in enumerate(order, start=1):
            row[option - 1] = position
        rest = [r for r in range(len(order) + 1, n_options + 1)]
        for j in range(n_options):
            if row[j] == 0:
                row[j] = np.mean(rest)
        rows.append(row)
    return np.array(rows)


def kendall(ranks):
    """Kendall's W, tie-corrected (Kendall & Babington Smith 1939), its chi² and p."""
    m, n = ranks.shape
    sums = ranks.sum(axis=0)
    s = ((sums - sums.mean()) ** 2).sum()
    ties = 0.0
    for row in ranks:
        _values, counts = np.unique(row, return_counts=True)
        ties += float((counts ** 3 - counts).sum())
    w = 12 * s / (m ** 2 * (n ** 3 - n) - m * ties)
    chi2 = m * (n - 1) * w
    return w, chi2, n - 1, float(stats.chi2.sf(chi2, n - 1))


# -- fixtures -----------------------------------------------------------------------

@pytest.fixture
def world(app):
    # The people (the study under test is created through the API) and a plan
    # indicator of A5, as the plan helper loads them.
    from delphi.core.database import db
    from delphi.core.models import Indicator, TaskForce

    people = build_study(app, n_panellists=N_PANELLISTS, n_items=1)
    with app.app_context():
        tf = db.session.scalar(select(TaskForce).where(TaskForce.code == "A5"))
        indicator = Indicator(task_force_id=tf.id, position=99, name="Projects evaluated a year",
                              unit="projects", baseline_value=7.0, baseline_year=2020,
                              target_2030_value=100.0, target_2050_value=None)
        db.session.add(indicator)
        db.session.commit()
        people.indicator_id = indicator.id
    return people


@pytest.fixture
def tokens(auth, world):
    cache = {}

    def token(email):
        if email not in cache:
            cache[email] = auth.token(email)
        return cache[email]

    return token


@pytest.fixture
def study(client, tokens, world):
    body = {"task_force": "A5", "title": "Targets of the plan", "scale_points": 5,
            "criteria": ["importance"], "max_rounds": 3, "panel_cutoff": "2099-01-01",
            "carry_forward": "all"}
    response = client.post(BASE, json=body, headers=tokens(world.admin))
    assert response.status_code == 201, response.get_json()
    sid = response.get_json()["id"]
    for email, role in ((world.moderator, "moderator"), (world.researcher, "researcher")):
        response = client.post(f"{BASE}/{sid}/staff", json={"email": email, "role": role},
                               headers=tokens(world.admin))
        assert response.status_code == 201, response.get_json()
    return sid


@pytest.fixture
def opened(client, tokens, world, study):
    """Round 1 of the mixed study drafted and opened through the API: its item ids."""
    mod = tokens(world.moderator)
    response = client.post(f"{BASE}/{study}/rounds", json={"items": items_body(world.indicator_id)},
                           headers=mod)
    assert response.status_code == 201, response.get_json()
    ids = dict(zip(NAMES, (item["id"] for item in response.get_json()["items"])))
    response = client.post(f"{BASE}/{study}/rounds/1/open", headers=mod)
    assert response.status_code == 200, response.get_json()
    consent_through_api(client, tokens, study, world.panellists)
    return ids


def own_response(client, tokens, study, email, number=1):
    response = client.get(f"{BASE}/{study}/rounds/{number}", headers=tokens(email))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["response"]


# -- the whole loop -----------------------------------------------------------------

def test_items_of_every_kind_show_their_kind_and_parameters(client, tokens, world, study, opened):
    staff = client.get(f"{BASE}/{study}/rounds/1", headers=tokens(world.moderator)).get_json()
    seen = client.get(f"{BASE}/{study}/rounds/1",
                      headers={**tokens(world.panellists[0]), "Accept-Language": "fr"}).get_json()
    for view in (staff, seen):
        items = dict(zip(NAMES, view["items"]))
        assert [i["kind"] for i in view["items"]] == ["rating", "estimate", "estimate",
                                                     "probability", "year", "ranking", "ranking"]
        assert "unit" not in items["rating"] and "options" not in items["rating"]
        est = items["estimate_q"]
        assert (est["unit"], est["min"], est["max"], est["quantiles"]) == ("%", 0, 100, True)
        assert est["baseline"] == {"value": 14.3, "year": 2019}
        assert est["target"] == {"value": 100, "year": 2030} and est["indicator"] is None
        tied = items["estimate_ind"]
        # The indicator's unit, baseline and (first numeric) target.
        assert tied["indicator"] == world.indicator_id and tied["unit"] == "projects"
        assert tied["baseline"] == {"value": 7.0, "year": 2020}
        assert tied["target"] == {"value": 100.0, "year": 2030} and tied["quantiles"] is False
        assert items["probability"]["event_year"] == 2030
        assert (items["year"]["min"], items["year"]["max"]) == (2025, 2050)
        assert items["ranking"]["top_k"] is None and items["ranking_top"]["top_k"] == 2
        assert [o["id"] for o in items["ranking_top"]["options"]] == [1, 2, 3, 4, 5]
    # The options in the reader's language (the staff's request asks for none: English).
    assert [o["text"] for o in dict(zip(NAMES, staff["items"]))["ranking"]["options"]] == [
        "Training", "Funding", "Monitoring", "Policy dialogue"]
    assert dict(zip(NAMES, seen["items"]))["ranking"]["options"][1] == {"id": 2,
                                                                       "text": "Financement"}


def test_a_mixed_study_runs_end_to_end_through_the_api(client, tokens, world, study, opened):
    ids = opened
    # Panellists save a draft, see it, then submit.
    first = world.panellists[0]
    response = client.put(f"{BASE}/{study}/rounds/1/response",
                          json=answers_body(ids, 0, submit=False), headers=tokens(first))
    assert response.status_code == 200 and response.get_json() == {"status": "draft"}
    shown = own_response(client, tokens, study, first)["answers"]
    assert shown[str(ids["rating"])]["ratings"] == {"importance": {"value": 1}}
    assert shown[str(ids["estimate_q"])] == {"ratings": {}, "comment": "",
                                             "answer": {"value": answer_of("estimate_q", 0)}}
    assert shown[str(ids["estimate_ind"])]["answer"] == {"value": None}   # cannot answer
    assert shown[str(ids["year"])]["answer"] == {"value": 2030}
    assert shown[str(ids["ranking_top"])]["answer"] == {"value": [1, 3]}
    for k, email in enumerate(world.panellists):
        response = client.put(f"{BASE}/{study}/rounds/1/response", json=answers_body(ids, k),
                              headers=tokens(email))
        assert response.status_code == 200, response.get_json()
        assert response.get_json() == {"status": "submitted"}
    shown = own_response(client, tokens, study, world.panellists[2])["answers"]
    assert shown[str(ids["estimate_q"])]["answer"] == {"value": answer_of("estimate_q", 2),
                                                       "reason": "Past NDC cycles"}
    assert shown[str(ids["estimate_q"])]["comment"] == "Depends on the 2025 NDC round."

    response = client.post(f"{BASE}/{study}/rounds/1/close", headers=tokens(world.moderator))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["next_round"] == 2
    response = client.get(f"{BASE}/{study}/rounds/1/results", headers=tokens(world.researcher))
    assert response.status_code == 200, response.get_json()
    results = response.get_json()
    rows = {row["item"]: row for row in results["items"]}
    ks = range(N_PANELLISTS)

    rating = rows[ids["rating"]]
    assert rating["kind"] == "rating" and rating["criterion"] == "importance"
    assert rating["median"] == pytest.approx(type7([1 + k % 5 for k in ks], 0.5))

    # Estimate with quantiles: the P50s' quartiles, dispersion, quantile averaging, target.
    est = rows[ids["estimate_q"]]
    p50s = [10 + 7 * k for k in ks]
    q1, q3 = type7(p50s, 0.25), type7(p50s, 0.75)
    assert est["kind"] == "estimate" and est["criterion"] == "" and est["n"] == N_PANELLISTS
    assert est["median"] == pytest.approx(type7(p50s, 0.5))
    assert (est["q1"], est["q3"], est["iqr"]) == pytest.approx((q1, q3, q3 - q1))
    assert est["dispersion"] == pytest.approx((q3 - q1) / (q3 + q1))
    assert est["aggregate"] == pytest.approx({"p10": np.mean([5 + 7 * k for k in ks]),
                                              "p50": np.mean(p50s),
                                              "p90": np.mean([20 + 7 * k for k in ks])})
    assert est["target_share"] == 0.0
    assert est["median_gap"] == pytest.approx(type7(p50s, 0.5) - 100)
    assert est["verdict"] == "no_consensus"              # dispersion 0.45 > 0.25

    # Estimate tied to the indicator: one value each, one "cannot answer".
    tied = rows[ids["estimate_ind"]]
    values = [20 + 13 * k for k in ks if k]
    q1, q3 = type7(values, 0.25), type7(values, 0.75)
    assert tied["n"] == N_PANELLISTS - 1 and tied["n_missing"] == 1
    assert (tied["median"], tied["q1"], tied["q3"]) == pytest.approx(
        (type7(values, 0.5), q1, q3))
    assert tied["dispersion"] == pytest.approx((q3 - q1) / (q3 + q1))
    assert tied["target_share"] == pytest.approx(sum(v >= 100 for v in values) / len(values))
    assert tied["median_gap"] == pytest.approx(type7(values, 0.5) - 100)

    # Probability: quartiles and IQR in points.
    prob = rows[ids["probability"]]
    probs = [answer_of("probability", k) for k in ks]
    assert (prob["median"], prob["q1"], prob["q3"]) == pytest.approx(
        (type7(probs, 0.5), type7(probs, 0.25), type7(probs, 0.75)))
    assert prob["iqr"] == pytest.approx(type7(probs, 0.75) - type7(probs, 0.25))
    assert prob["verdict"] == ("consensus_in" if prob["iqr"] <= 20 else "no_consensus")

    # Year: "later" counted above every year, and its share.
    year = rows[ids["year"]]
    years = [9999 if answer_of("year", k) == "later" else answer_of("year", k) for k in ks]
    assert year["later_share"] == pytest.approx(2 / 12)
    assert (year["median"], year["q1"], year["q3"]) == pytest.approx(
        (type7(years, 0.5), type7(years, 0.25), type7(years, 0.75)))
    assert year["q3"] <= 2050 and year["q3_later"] is False

    # Rankings: mean ranks, rank sums, top-three shares, Kendall's W (tie-corrected).
    for name, n_options in (("ranking", 4), ("ranking_top", 5)):
        row = rows[ids[name]]
        orders = [answer_of(name, k) for k in ks]
        ranks = rank_rows(orders, n_options)
        assert [o["option"] for o in row["options"]] == list(range(1, n_options + 1))
        assert [o["mean_rank"] for o in row["options"]] == pytest.approx(ranks.mean(axis=0))
        assert [o["rank_sum"] for o in row["options"]] == pytest.approx(ranks.sum(axis=0))
        top3 = [sum(option in order[:3] for order in orders) / len(orders)
                for option in range(1, n_options + 1)]
        assert [o["top3_share"] for o in row["options"]] == pytest.approx(top3)
        w, chi2, df, pvalue = kendall(ranks)
        assert (row["w"], row["chi2"], row["pvalue"]) == pytest.approx((w, chi2, pvalue))
        assert row["df"] == df and row["n"] == N_PANELLISTS
        assert row["verdict"] == ("consensus_in" if w >= 0.7 else "no_consensus")

    # Round 2: every item carried, each with round 1's frozen figures.
    response = client.post(f"{BASE}/{study}/rounds/2/open", headers=tokens(world.moderator))
    assert response.status_code == 200, response.get_json()
    staff = {i["id"]: i for i in response.get_json()["items"]}
    assert set(staff) == set(ids.values())
    for k in (0, 2, 11):
        email = world.panellists[k]
        response = client.get(f"{BASE}/{study}/rounds/2", headers=tokens(email))
        assert response.status_code == 200, response.get_json()
        seen = {i["id"]: i for i in response.get_json()["items"]}
        for name in NAMES:
            frozen, mine, theirs = rows[ids[name]], seen[ids[name]]["feedback"], \
                staff[ids[name]]["feedback"]
            if name == "rating":
                assert mine["criteria"]["importance"]["median"] == frozen["median"]
                assert mine["criteria"]["importance"]["own_previous"] == answer_of(name, k)
                assert "kind" not in mine or mine["kind"] is None
                continue
            assert mine["kind"] == theirs["kind"] == frozen["kind"]
            assert mine["criteria"] == {} and mine["n"] == theirs["n"] == frozen["n"]
            assert mine["own_previous"] == answer_of(name, k)
            assert "own_previous" not in theirs
            if frozen["kind"] == "ranking":
                for shown in (mine, theirs):
                    assert shown["w"] == frozen["w"]
                    assert [(o["option"], o["mean_rank"], o["top3_share"])
                            for o in shown["options"]] == [
                        (o["option"], o["mean_rank"], o["top3_share"])
                        for o in frozen["options"]]
                continue
            for shown in (mine, theirs):
                for figure in ("median", "q1", "q3", "iqr"):
                    assert shown[figure] == frozen[figure], (name, figure)
            if frozen["kind"] == "estimate":
                for shown in (mine, theirs):
                    assert shown["aggregate"] == frozen["aggregate"]
                    assert shown["dispersion"] == frozen["dispersion"]
                    assert shown["target"] == {"value": 100, "year": 2030}
            if frozen["kind"] == "year":
                assert mine["later_share"] == frozen["later_share"]
                assert mine["values"][-2:] == ["later", "later"]
    # Round 1 as staff see it now: the first round has no feedback.
    first_round = client.get(f"{BASE}/{study}/rounds/1", headers=tokens(world.moderator))
    assert all(i["feedback"] is None for i in first_round.get_json()["items"])


# -- bad answers ----------------------------------------------------------------------

BAD_ANSWERS = [
    ("estimate_q", 5, "ratings[0].value"),
    ("estimate_q", {"p10": 5, "p50": 4, "p90": 9}, "ratings[0].value.p50"),
    ("estimate_q", {"p10": 5, "p50": 6, "p90": 101}, "ratings[0].value.p90"),
    ("estimate_q", {"p10": 5, "p50": 6}, "ratings[0].value"),
    ("estimate_q", {"p10": 5, "p50": "6", "p90": 9}, "ratings[0].value.p50"),
    ("estimate_q", [5, 6, 9], "ratings[0].value"),
    ("estimate_ind", 197, "ratings[0].value"),
    ("estimate_ind", -0.5, "ratings[0].value"),
    ("estimate_ind", True, "ratings[0].value"),
    ("estimate_ind", "12", "ratings[0].value"),
    ("estimate_ind", 10 ** 20, "ratings[0].value"),
    ("probability", 100.5, "ratings[0].value"),
    ("probability", -1, "ratings[0].value"),
    ("probability", "50", "ratings[0].value"),
    ("probability", {"p50": 50}, "ratings[0].value"),
    ("year", 2051, "ratings[0].value"),
    ("year", 2024, "ratings[0].value"),
    ("year", "sooner", "ratings[0].value"),
    ("year", 2030.5, "ratings[0].value"),
    ("year", "later\x00", "ratings[0].value"),
    ("ranking", [1, 2, 3], "ratings[0].value"),
    ("ranking", [1, 2, 3, 3], "ratings[0].value"),
    ("ranking", [1, 2, 3, 9], "ratings[0].value.3"),
    ("ranking", [1, "2", 3, 4], "ratings[0].value.1"),
    ("ranking", "1,2,3,4", "ratings[0].value"),
    ("ranking", [[1, 2], 3, 4], "ratings[0].value.0"),
    ("ranking_top", [1, 2, 3], "ratings[0].value"),
    ("ranking_top", [5, 5], "ratings[0].value"),
    ("ranking_top", [6, 1], "ratings[0].value.0"),
]


@pytest.mark.parametrize("name, value, field", BAD_ANSWERS,
                         ids=[f"{n}-{i}" for i, (n, _v, _f) in enumerate(BAD_ANSWERS)])
def test_a_bad_answer_is_a_422_naming_the_field_and_changes_nothing(client, tokens, world, study,
                                                                     opened, name, value, field):
    email = world.panellists[0]
    response = client.put(f"{BASE}/{study}/rounds/1/response",
                          json=answers_body(opened, 3, submit=False), headers=tokens(email))
    assert response.status_code == 200
    before = own_response(client, tokens, study, email)
    for submit in (False, True):
        response = client.put(f"{BASE}/{study}/rounds/1/response",
                              json={"ratings": [{"item": opened[name], "value": value}],
                                    "submit": submit}, headers=tokens(email))
        assert response.status_code == 422, response.get_json()
        error = response.get_json()["error"]
        assert error["code"] == "invalid" and field in error["fields"], error
        assert own_response(client, tokens, study, email) == before


@pytest.mark.parametrize("value", [
    {"p10": "\ud800", "p50": 1, "p90": 2}, {"p10": 1, "p50": 2, "p90": 3, "\ud800": 4}, "\ud800",
    "later\x00", ["\x00"], "x" * 1_000_000, [[[1]]], {"p10": 10 ** 30, "p50": 1, "p90": 2},
], ids=["surrogate", "surrogate-key", "lone-surrogate", "nul", "nul-in-list", "megabyte",
        "nested", "huge"])
def test_hostile_answer_values_are_a_422_on_both_databases(client, tokens, world, study, opened,
                                                           value):
    email = world.panellists[0]
    before = own_response(client, tokens, study, email)
    for name in ("estimate_q", "year", "ranking"):
        response = client.put(f"{BASE}/{study}/rounds/1/response",
                              json={"ratings": [{"item": opened[name], "value": value}]},
                              headers=tokens(email))
        assert response.status_code == 422, response.get_json()
        fields = response.get_json()["error"]["fields"]
        assert any(name.startswith("ratings[0].value") for name in fields), fields
    assert own_response(client, tokens, study, email) == before


def test_a_criterion_on_another_kind_and_none_on_a_rating_are_named(client, tokens, world, study,
                                                                    opened):
    email = world.panellists[0]
    before = own_response(client, tokens, study, email)
    for entry, field in (({"item": opened["probability"], "criterion": "importance",
                           "value": 40}, "ratings[0].criterion"),
                         ({"item": opened["rating"], "value": 3}, "ratings[0].criterion"),
                         ({"item": opened["rating"], "criterion": "importance",
                           "value": 2.5}, "ratings[0].value")):
        response = client.put(f"{BASE}/{study}/rounds/1/response", json={"ratings": [entry]},
                              headers=tokens(email))
        assert response.status_code == 422
        assert field in response.get_json()["error"]["fields"], response.get_json()
    assert own_response(client, tokens, study, email) == before


def test_a_submission_missing_an_answer_of_another_kind_names_it(client, tokens, world, study,
                                                                 opened):
    email = world.panellists[0]
    body = answers_body(opened, 4)
    body["ratings"] = [r for r in body["ratings"] if r["item"] != opened["year"]]
    response = client.put(f"{BASE}/{study}/rounds/1/response", json=body, headers=tokens(email))
    assert response.status_code == 422
    assert f"{opened['year']}:.value" in response.get_json()["error"]["fields"]
    shown = own_response(client, tokens, study, email)   # the answers given are kept
    assert shown["status"] == "draft"
    assert shown["answers"][str(opened["ranking"])]["answer"] == {"value": answer_of("ranking", 4)}
    assert shown["answers"][str(opened["year"])]["answer"] is None


# -- bad parameters -------------------------------------------------------------------

BAD_PARAMETERS = [
    ({"kind": "estimate", "unit": "%", "min": 10, "max": 5}, "max"),
    ({"kind": "estimate", "min": 0}, "max"),
    ({"kind": "estimate", "min": 0, "max": 10, "quantiles": "yes"}, "quantiles"),
    ({"kind": "estimate", "min": "0", "max": 10}, "min"),
    ({"kind": "estimate", "min": 0, "max": 10, "indicator": 10 ** 6}, "indicator"),
    ({"kind": "estimate", "min": 0, "max": 10, "target": {"value": 20, "year": 2030}},
     "target.value"),
    ({"kind": "estimate", "min": 0, "max": 10, "baseline": {"value": 5, "year": 1066}},
     "baseline.year"),
    ({"kind": "estimate", "min": 0, "max": 10, "unit": "x" * 41}, "unit"),
    ({"kind": "estimate", "min": 0, "max": 10, "unit": "\ud800"}, "unit"),
    ({"kind": "estimate", "min": 0, "max": 10, "event_year": 2030}, "event_year"),
    ({"kind": "probability", "event_year": "2030"}, "event_year"),
    ({"kind": "probability"}, "event_year"),
    ({"kind": "probability", "event_year": 2030, "unit": "%"}, "unit"),
    ({"kind": "year", "min": 2050, "max": 2030}, "max"),
    ({"kind": "year", "min": 2030.5, "max": 2050}, "min"),
    ({"kind": "ranking", "options": ["only one"]}, "options"),
    ({"kind": "ranking"}, "options"),
    ({"kind": "ranking", "options": ["a", "A"]}, "options[1]"),
    ({"kind": "ranking", "options": ["a", "b\x00"]}, "options[1]"),
    ({"kind": "ranking", "options": ["a", 3]}, "options[1]"),
    ({"kind": "ranking", "options": ["a", {"item": 10 ** 9}]}, "options[1]"),
    ({"kind": "ranking", "options": ["a", {"text": "b", "translations": {"\x00": "x"}}]},
     "options[1]"),
    ({"kind": "ranking", "options": ["a", {"text": "b", "translations": {"\ud800": "x"}}]},
     "options[1]"),
    ({"kind": "ranking", "options": ["a", {"text": "b", "translations": {"fr": "\ud800"}}]},
     "options[1]"),
    ({"kind": "ranking", "options": ["a", {"text": "\ud800"}]}, "options[1]"),
    ({"kind": "ranking", "options": ["a", "b" * 1_000_000]}, "options[1]"),
    ({"kind": "ranking", "options": ["a", "b", "c"], "top_k": 3}, "top_k"),
    ({"kind": "rating", "min": 1}, "min"),
    ({"unit": "%"}, "unit"),
    ({"kind": "guess"}, "kind"),
]


@pytest.mark.parametrize("entry, field", BAD_PARAMETERS,
                         ids=[f"{e.get('kind', 'rating')}-{i}"
                              for i, (e, _f) in enumerate(BAD_PARAMETERS)])
def test_bad_parameters_are_a_422_naming_the_field_and_draft_nothing(app, client, tokens, world,
                                                                     study, entry, field):
    from delphi.core.database import db
    from delphi.core.models import Item

    items = [{"text": "A rating item"}, {"text": "A question", **entry}]
    response = client.post(f"{BASE}/{study}/rounds", json={"items": items},
                           headers=tokens(world.moderator))
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "invalid" and any(
        name == f"items[1].{field}" or name.startswith((f"items[1].{field}.", f"items[1].{field}["))
        for name in error["fields"]), error
    assert client.get(f"{BASE}/{study}/rounds/1", headers=tokens(world.moderator)).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count(Item.id)).where(Item.study_id == study)) == 0


def test_the_kind_defaults_to_rating_and_null_parameters_are_not_given(client, tokens, world, study):
    response = client.post(f"{BASE}/{study}/rounds", json={"items": [
        {"text": "Plain"}, {"kind": "rating", "text": "Said so"},
        {"kind": "year", "text": "When", "min": 2025, "max": 2035, "unit": None}]},
        headers=tokens(world.moderator))
    assert response.status_code == 201, response.get_json()
    items = response.get_json()["items"]
    assert [i["kind"] for i in items] == ["rating", "rating", "year"]
    assert "min" not in items[0] and (items[2]["min"], items[2]["max"]) == (2025, 2035)


def test_ranking_options_may_be_other_items_of_the_study(app, client, auth):
    """Options given as ``{"item": id}`` show that item's text, in the reader's
    language; an item of another study is refused by name."""
    from delphi.core.database import db
    from delphi.core.models import Item, Round

    world = build_study(app, n_panellists=2, n_items=2)
    other = build_study(app, n_panellists=1, n_items=1)
    with app.app_context():
        # The factory drafted round 1 with the items: leave the study without a round,
        # with the items to rank, and one of them translated.
        db.session.delete(db.session.scalar(select(Round).where(Round.study_id == world.study_id)))
        item = db.session.get(Item, world.item_ids[1])
        item.translations = {"fr": {"text": "Stratégie deux, en français"}}
        db.session.commit()
        texts = [db.session.get(Item, i).text for i in world.item_ids]
    mod = auth.token(world.moderator)
    ranking = {"kind": "ranking", "text": "Rank the strategies",
               "options": [{"item": world.item_ids[0]}, {"item": world.item_ids[1]}, "Neither"]}
    response = client.post(f"{BASE}/{world.study_id}/rounds", json={"items": [
        {"id": world.item_ids[0]}, {**ranking, "options": [*ranking["options"],
                                                            {"item": other.item_ids[0]}]}]},
        headers=mod)
    assert response.status_code == 422
    assert "items[1].options[3]" in response.get_json()["error"]["fields"]
    response = client.post(f"{BASE}/{world.study_id}/rounds", json={"items": [
        {"id": world.item_ids[0]}, ranking]}, headers=mod)
    assert response.status_code == 201, response.get_json()
    shown = response.get_json()["items"]
    assert shown[0]["kind"] == "rating" and shown[0]["id"] == world.item_ids[0]
    assert shown[1]["options"] == [{"id": 1, "text": texts[0]}, {"id": 2, "text": texts[1]},
                                   {"id": 3, "text": "Neither"}]
    in_french = client.get(f"{BASE}/{world.study_id}/rounds/1",
                           headers={**mod, "Accept-Language": "fr"}).get_json()
    assert in_french["items"][1]["options"][1] == {"id": 2, "text": "Stratégie deux, en français"}
