"""HTTP security headers on pages, API answers and error pages; cookie flags."""
from __future__ import annotations

import pytest

from tests.conftest import PASSWORD


def csp_directives(response) -> dict[str, str]:
    policy = response.headers.get("Content-Security-Policy", "")
    out = {}
    for part in policy.split(";"):
        name, _sep, value = part.strip().partition(" ")
        if name:
            out[name] = value.strip()
    return out


def assert_secure_headers(response):
    csp = csp_directives(response)
    assert csp.get("default-src") == "'self'"
    assert csp.get("script-src") == "'self'"
    assert csp.get("style-src") == "'self'"
    assert csp.get("frame-ancestors") == "'none'"
    assert csp.get("object-src") == "'none'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] in {"same-origin", "no-referrer",
                                                   "strict-origin-when-cross-origin"}


@pytest.fixture
def boom(app):
    def fail():
        raise RuntimeError("internal detail that must not leak")

    app.add_url_rule("/_boom", "boom_page", fail)
    app.add_url_rule("/api/v1/_boom", "boom_api", fail)
    app.config["PROPAGATE_EXCEPTIONS"] = False


@pytest.mark.parametrize("path, status", [
    ("/", 200),
    ("/task-forces/A1", 200),
    ("/login", 200),
    ("/register", 200),
    ("/me", 302),
    ("/no-such-page", 404),
    ("/task-forces/Z9", 404),
    ("/_boom", 500),
    ("/api/v1/task-forces", 200),
    ("/api/v1/openapi.json", 200),
    ("/api/v1/me", 401),
    ("/api/v1/task-forces/Z9", 404),
    ("/api/v1/_boom", 500),
])
def test_every_answer_carries_the_security_headers(client, boom, path, status):
    response = client.get(path)
    assert response.status_code == status
    assert_secure_headers(response)


def test_a_500_page_is_html_with_an_error_id_and_no_trace(client, boom):
    response = client.get("/_boom")
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "Server error" in html and "Error id:" in html
    assert "internal detail" not in html and "Traceback" not in html


def test_a_404_page_is_html_in_the_site_layout(client):
    response = client.get("/no-such-page")
    assert response.mimetype == "text/html"
    assert "Not found" in response.get_data(as_text=True)
    assert "Back to the strategic plan" in response.get_data(as_text=True)


def test_a_post_answer_carries_the_headers(client, make_user):
    make_user("ada@example.org")
    response = client.post("/login", data={"email": "ada@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert_secure_headers(response)


@pytest.mark.csrf
def test_a_csrf_failure_page_carries_the_headers(client):
    response = client.post("/login", data={"email": "a@b.c", "password": "x"})
    assert response.status_code == 400
    assert_secure_headers(response)


def test_personal_pages_and_the_api_are_not_cached(client, make_user):
    make_user("ada@example.org")
    assert client.get("/api/v1/task-forces").headers.get("Cache-Control") == "no-store"
    client.post("/login", data={"email": "ada@example.org", "password": PASSWORD})
    assert client.get("/me").headers.get("Cache-Control") == "no-store"


def test_no_hsts_over_plain_http_in_tests(client):
    assert "Strict-Transport-Security" not in client.get("/").headers


def test_hsts_when_served_over_https(make_app):
    app = make_app(BASE_URL="https://delphi.example")
    response = app.test_client().get("/", base_url="https://delphi.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_pages_have_no_inline_script_or_style(client, make_user):
    import re

    make_user("sam@example.org", admin=True)
    pages = ["/", "/task-forces/A1", "/login", "/register", "/no-such-page"]
    client.post("/login", data={"email": "sam@example.org", "password": PASSWORD})
    pages += ["/me", "/task-forces/A1/join", "/account/password", "/admin/applications",
              "/admin/organisations", "/admin/task-forces/A1"]
    for path in pages:
        html = client.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert "<style" not in html and " style=" not in html, path
        assert not re.search(r"\son[a-z]+=", html), path
