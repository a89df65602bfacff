"""Hostile text in every field of every form, as every role (issue 13: "Fuzzing in the suite").

Each role logs in; every page of the route × role table (``tests/access``) that
the role may see is fetched, and every form on it that posts is submitted as a
browser would, with one field at a time replaced by a hostile value: a lone
surrogate, a NUL, control characters, right-to-left marks, 1 MB of text, huge
and negative numbers. Then a Hypothesis strategy mixes them at random. The
check: never a 5xx, and a refused request (4xx) changes nothing in the
database (failed-login counters excepted: counting them is their purpose).
Runs on SQLite and, with the database tests, on PostgreSQL.
"""
from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from tests.access.conftest import ROLES, build_world
from tests.access.test_route_table import MODULE_NAMES, entries, load
from tests.conftest import PASSWORD

#: One field at a time takes each of these.
HOSTILE = [
    "a\ud800\x00b\x07\x1b\u202eevil\u200f",  # a lone surrogate (its CESU-8 bytes), NUL,
                                                 # control characters, right-to-left marks
    "x" * 1_000_000,                             # 1 MB
    "9" * 40,                                    # beyond every integer column
    "-2147483649",
]
#: Tables whose rows a refused request may add: failed logins are counted on purpose.
COUNTERS = {"login_attempt", "login_throttle"}
#: Forms that end what the other forms need (posted last).
LAST = re.compile(r"/(logout|withdraw|end|close|delete|revoke)\b")


class Forms(HTMLParser):
    """Every ``<form method="post">`` of a page: ``[(action, [(name, value)])]``,
    with the values a browser would send (checked boxes, selected options)."""

    def __init__(self, page: str, url: str):
        super().__init__(convert_charrefs=True)
        self.url, self.forms, self._form = url, [], None
        self._select = self._textarea = None
        self._options: list[tuple[str, bool]] = []
        self._text: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self._form = (urljoin(self.url, a.get("action") or self.url), [])
        if self._form is None:
            return
        fields = self._form[1]
        if tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind in ("submit", "button", "image", "file"):
                return
            fields.append((a["name"], a.get("value") or ("on" if kind == "checkbox" else "")))
        elif tag == "select" and a.get("name"):
            self._select, self._options = a["name"], []
        elif tag == "option" and self._select:
            self._options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea" and a.get("name"):
            self._textarea, self._text = a["name"], []

    def handle_data(self, data):
        if self._textarea:
            self._text.append(data)

    def handle_endtag(self, tag):
        if self._form is None:
            return
        if tag == "select" and self._select:
            chosen = [v for v, selected in self._options if selected] or \
                     [v for v, _s in self._options[:1]]
            self._form[1].extend((self._select, v) for v in chosen)
            self._select = None
        elif tag == "textarea" and self._textarea:
            self._form[1].append((self._textarea, "".join(self._text).lstrip("\n")))
            self._textarea = None
        elif tag == "form":
            self.forms.append(self._form)
            self._form = None


def fingerprint(app) -> str:
    """A digest of every row of every table (the counters excepted)."""
    from delphi.core.database import db
    from delphi.core.models import Base

    digest = hashlib.sha256()
    with app.app_context():
        for table in Base.metadata.sorted_tables:
            if table.name in COUNTERS:
                continue
            for row in db.session.execute(text(f"SELECT * FROM {table.name} ORDER BY 1")):
                digest.update(repr(tuple(row)).encode("utf-8", "surrogatepass"))
        db.session.remove()
    return digest.hexdigest()


def _post(client, action: str, fields: list[tuple[str, str]]):
    body = urlencode(fields, encoding="utf-8", errors="surrogatepass")
    return client.post(urlsplit(action).path + (f"?{urlsplit(action).query}" if urlsplit(action).query else ""),
                       data=body, content_type="application/x-www-form-urlencoded")


def _pages(world, role: str) -> list[str]:
    """The GET pages of the route table (those the role may open are kept by
    :func:`_forms_of`, which fetches them)."""
    paths = []
    for name in MODULE_NAMES:
        for method, path, _expected, _options in entries(load(name)):
            if method != "GET" or path.startswith("/api/"):
                continue
            try:
                paths.append(path.format(**world.placeholders))
            except (KeyError, IndexError):
                continue
    return sorted(set(paths))


def _forms_of(app, world):
    """``[(role, client, action, fields)]``: every posting form each role sees."""
    found, seen = [], set()
    for role in ROLES:
        email = world.logins.get(role)
        if role != "anonymous" and email is None:
            continue
        client = app.test_client()
        if email:
            assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
        for path in _pages(world, role):
            response = client.get(path)
            if response.status_code != 200 or "html" not in response.content_type:
                continue
            for action, fields in Forms(response.get_data(as_text=True), f"http://localhost{path}").forms:
                key = (role, urlsplit(action).path, tuple(sorted({n for n, _v in fields})))
                if key in seen or not any(n != "csrf_token" for n, _v in fields):
                    continue
                seen.add(key)
                found.append((role, client, action, fields))
    found.sort(key=lambda f: bool(LAST.search(urlsplit(f[2]).path)))
    return found


def _check(app, client, action, fields, name, value, before):
    hostile = [(n, value if n == name else v) for n, v in fields]
    response = _post(client, action, hostile)
    where = f"{urlsplit(action).path} [{name}={value[:20]!r}{'…' if len(value) > 20 else ''}]"
    assert response.status_code < 500, f"{response.status_code} at {where}"
    if response.status_code >= 400:
        after = fingerprint(app)
        assert after == before, f"a refused request ({response.status_code}) changed the database at {where}"
        return after
    return fingerprint(app)


@pytest.fixture
def forms(app):
    world = build_world(app, "round2_open")
    return _forms_of(app, world)


def test_every_field_of_every_form_refuses_hostile_text_cleanly(app, forms):
    assert len(forms) >= 10, f"only {len(forms)} forms found"
    before = fingerprint(app)
    for _role, client, action, fields in forms:
        names = sorted({n for n, _v in fields if n != "csrf_token"})
        for name in names:
            for value in HOSTILE:
                before = _check(app, client, action, fields, name, value, before)


_hostile_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(alphabet=st.characters(codec="utf-8", categories=("Cc", "Cf", "Zl", "Zp", "Co", "Lo")),
            max_size=40),
    st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1,
            max_size=3).map(lambda s: f"x{s}y"),
    st.integers(min_value=-(2 ** 80), max_value=2 ** 80).map(str),
)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_random_hostile_values_in_several_fields_at_once(app_factory_forms, data):
    app, forms = app_factory_forms
    role, client, action, fields = data.draw(st.sampled_from(forms), label="form")
    names = sorted({n for n, _v in fields if n != "csrf_token"})
    chosen = data.draw(st.sets(st.sampled_from(names), min_size=1, max_size=min(3, len(names))),
                       label="fields")
    values = {n: data.draw(_hostile_text, label=n) for n in chosen}
    hostile = [(n, values.get(n, v)) for n, v in fields]
    before = fingerprint(app)
    response = _post(client, action, hostile)
    assert response.status_code < 500, f"{response.status_code} at {urlsplit(action).path} {values!r:.200}"
    if response.status_code >= 400:
        assert fingerprint(app) == before


@pytest.fixture
def app_factory_forms(app):
    """The app and its forms, built once for all of Hypothesis's examples."""
    world = build_world(app, "round2_open")
    return app, [f for f in _forms_of(app, world) if not LAST.search(urlsplit(f[2]).path)]


def test_every_kind_of_question_refuses_hostile_text_cleanly(app):
    """The questionnaire of a round with every kind of question (and its autosave):
    each field with each hostile value, as its panellist."""
    from tests.factories import add_mixed_items, build_study, open_round_of

    world = build_study(app, n_panellists=3, n_items=1)
    add_mixed_items(app, world)
    open_round_of(app, world, 1)
    client = app.test_client()
    assert client.post("/login", data={"email": world.panellists[0],
                                        "password": PASSWORD}).status_code == 302
    url = f"/panel/studies/{world.study_id}/rounds/1"
    page = client.get(url)
    assert page.status_code == 200
    forms = [f for f in Forms(page.get_data(as_text=True), f"http://localhost{url}").forms
             if urlsplit(f[0]).path == url]
    assert forms, "no questionnaire form"
    action, fields = forms[0]
    names = sorted({n for n, _v in fields if n != "csrf_token"})
    assert len(names) >= 10, names
    before = fingerprint(app)
    for target in (action, action.rstrip("/") + "/autosave"):
        for name in names:
            for value in HOSTILE:
                before = _check(app, client, target, fields, name, value, before)
