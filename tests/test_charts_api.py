"""The charts API: ``/api/v1/studies/{id}/rounds/{n}/charts/{chart}.{png|svg}`` and
``/api/v1/studies/{id}/rounds/{n}/items/{item}/distribution.{png|svg}`` (issue 5)."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tests.test_dashboard import PNG_SIGNATURE, build_closed

CHARTS = ("verdicts", "convergence", "concordance", "participation")


def assert_png(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "image/png"
    assert response.data.startswith(PNG_SIGNATURE)
    assert response.data.endswith(b"IEND\xaeB`\x82")   # the PNG's closing chunk


def assert_svg(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "image/svg+xml"
    root = ET.fromstring(response.data)
    assert root.tag in ("svg", "{http://www.w3.org/2000/svg}svg")


@pytest.fixture
def world(app):
    return build_closed(app)


def test_every_round_chart_as_png_and_svg(app, client, auth, world):
    headers = auth.token(world.moderator)
    base = f"/api/v1/studies/{world.study_id}/rounds/2/charts"
    for chart in CHARTS:
        png = client.get(f"{base}/{chart}.png", headers=headers)
        assert_png(png)
        assert len(png.headers["X-Chart-Alt"]) > 30
        assert_svg(client.get(f"{base}/{chart}.svg", headers=headers))
    # Another criterion of the study draws another chart.
    importance = client.get(f"{base}/verdicts.svg", headers=headers)
    feasibility = client.get(f"{base}/verdicts.svg?criterion=feasibility", headers=headers)
    assert_svg(feasibility)
    assert feasibility.data != importance.data
    assert "feasibility" in feasibility.headers["X-Chart-Alt"]


def test_an_items_distribution_by_id_or_code(app, client, auth, world):
    headers = auth.token(world.researcher)
    base = f"/api/v1/studies/{world.study_id}/rounds/2/items"
    item_id = world.item_ids[1]
    by_id = client.get(f"{base}/{item_id}/distribution.png", headers=headers)
    assert_png(by_id)
    by_code = client.get(f"{base}/I02/distribution.png", headers=headers)
    assert by_code.data == by_id.data
    svg = client.get(f"{base}/I02/distribution.svg?criterion=feasibility", headers=headers)
    assert_svg(svg)
    # The alt text gives the frozen figures of the item.
    from tests.test_dashboard import frozen

    items, _ = frozen(app, world, 2)
    stats = items[(item_id, "feasibility")][0]
    assert f"{stats.n}" in svg.headers["X-Chart-Alt"]
    # Item 1 reached consensus in round 1 and is not in round 2.
    assert client.get(f"{base}/I01/distribution.png", headers=headers).status_code == 404
    assert_png(client.get(f"/api/v1/studies/{world.study_id}/rounds/1/items/I01/distribution.png",
                          headers=headers))


@pytest.mark.parametrize("path, status, code", [
    ("/rounds/2/charts/nope.png", 404, "not_found"),
    ("/rounds/2/charts/verdicts.gif", 404, "not_found"),
    ("/rounds/2/charts/verdicts.svg.png", 404, "not_found"),
    ("/rounds/2/items/I99/distribution.png", 404, "not_found"),
    ("/rounds/2/items/I02/distribution.jpeg", 404, "not_found"),
    ("/rounds/9/charts/verdicts.png", 404, "not_found"),
    ("/rounds/2/charts/verdicts.png?criterion=taste", 422, "invalid"),
    ("/rounds/3/charts/verdicts.png", 409, "invalid_state"),   # drafted, not closed
])
def test_bad_requests_get_json_errors(app, client, auth, world, path, status, code):
    response = client.get(f"/api/v1/studies/{world.study_id}{path}",
                          headers=auth.token(world.admin))
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code


def test_only_staff_and_admins_get_charts(app, client, auth, world, make_user):
    url = f"/api/v1/studies/{world.study_id}/rounds/2/charts/verdicts.png"
    item_url = f"/api/v1/studies/{world.study_id}/rounds/2/items/I02/distribution.svg"
    assert client.get(url).status_code == 401
    outsider = make_user()
    for email in (world.panellists[0], outsider.email):
        headers = auth.token(email)
        for path in (url, item_url, url.replace("verdicts.png", "nope.png")):
            response = client.get(path, headers=headers)
            assert response.status_code == 403, (email, path)
            assert response.get_json()["error"]["code"] == "forbidden"
    for email in (world.moderator, world.researcher, world.admin):
        assert_png(client.get(url, headers=auth.token(email)))
    assert client.get("/api/v1/studies/999999/rounds/2/charts/verdicts.png",
                      headers=auth.token(world.admin)).status_code == 404


def test_a_closed_rounds_chart_comes_from_the_cache_the_second_time(app, client, auth, world):
    from delphi.charts.cache import cache_for

    headers = auth.token(world.moderator)
    url = f"/api/v1/studies/{world.study_id}/rounds/2/charts/convergence.png"
    cache = cache_for(app)
    first = client.get(url, headers=headers)
    assert_png(first)
    assert first.headers["Cache-Control"] == "private, max-age=86400"
    etag = first.headers["ETag"]
    misses, hits = cache.misses, cache.hits
    second = client.get(url, headers=headers)
    assert (cache.hits, cache.misses) == (hits + 1, misses)
    assert second.data == first.data and second.headers["ETag"] == etag
    not_modified = client.get(url, headers={**headers, "If-None-Match": etag})
    assert not_modified.status_code == 304 and not_modified.data == b""
    # A stale validator gets the image again.
    other = client.get(url, headers={**headers, "If-None-Match": '"0000"'})
    assert_png(other)


def test_an_open_rounds_participation_is_drawn_live_and_not_cached(app, client, auth):
    from delphi.charts.cache import cache_for

    world = build_closed(app, open_third=True, answering=range(3))
    headers = auth.token(world.moderator)
    url = f"/api/v1/studies/{world.study_id}/rounds/3/charts/participation.svg"
    first = client.get(url, headers=headers)
    assert_svg(first)
    assert first.headers["Cache-Control"] == "no-store"
    assert "3 submitted" in first.headers["X-Chart-Alt"]
    size = len(cache_for(app))
    client.get(url, headers=headers)
    assert len(cache_for(app)) == size
