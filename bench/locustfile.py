"""The users of the load benchmark (``bench/bench_load.py`` runs this file with
``locust --headless``; it is not meant to be run alone).

``BENCH_SEEDED`` names a JSON file with the seeded study (``bench._server.Seeded``).
Each simulated user is a different account, so a logout never ends another
user's session or token. The mix, by weight:

- 5 panellists on the web: log in with the form, open their questionnaire,
  autosave it (the whole form, as ``questionnaire.js`` does), submit it (and
  follow the redirect), open ``/me``; now and then log out and in again;
- 3 panellists on the API: ask for a token, read ``/api/v1/me`` and the round,
  save a draft and submit through ``PUT .../response``; now and then a new token;
- 1 moderator: the study's dashboard, the closed round's page and the open
  round's live page, each with its first four charts;
- 1 researcher: the exports page, a CSV export through the form, and now and
  then one through the API (without the report).

Every answer outside the expected status is a failure, with the status in its
message. As a browser does, a request sent on a kept-alive connection that the
server has just closed (gunicorn closes idle ones after 2 s, and the think
times are 2 s and more) is sent again once on a new connection
(:func:`browser_like`); without that, a few requests in a thousand fail with
``ConnectionResetError`` on the client side alone.
"""
from __future__ import annotations

import itertools
import json
import os
import random
import re

from locust import HttpUser, between, task
from locust.clients import LocustHttpAdapter
from urllib3.util.retry import Retry

SEEDED = json.loads(open(os.environ["BENCH_SEEDED"]).read())  # noqa: SIM115
STUDY = SEEDED["study_id"]
NUMBER = SEEDED["round_number"]
QUESTIONNAIRE = f"/panel/studies/{STUDY}/rounds/{NUMBER}"
API_ROUND = f"/api/v1/studies/{STUDY}/rounds/{NUMBER}"
_next_panellist = itertools.count()

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
CHART = re.compile(r'src="([^"]*/charts/[^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html or "")
    return (match.group(1) or match.group(2)) if match else ""


def ratings() -> dict[tuple[int, str], int]:
    return {(item, c): random.randint(1, 5) for item in SEEDED["item_ids"] for c in SEEDED["criteria"]}


def browser_like(session) -> None:
    """Resend a request once when its connection drops before any answer (a
    kept-alive connection closed by the server), as browsers do; statuses and
    redirects are left alone."""
    retry = Retry(total=1, connect=1, read=1, status=0, other=0, redirect=False,
                  allowed_methods=None, raise_on_status=False)
    for prefix in ("http://", "https://"):
        session.mount(prefix, LocustHttpAdapter(None, max_retries=retry))


class Checked:
    """``with self.expect(...)``: the request fails unless its status is one of ``ok``."""

    def on_start(self):
        browser_like(self.client)

    def expect(self, method, path, ok, name=None, **kwargs):
        kwargs.setdefault("allow_redirects", False)
        response = self.client.request(method, path, name=name or f"{method} {path}",
                                       catch_response=True, **kwargs)
        with response as r:
            if r.status_code in ok:
                r.success()
            elif r.status_code:
                r.failure(f"{r.status_code}")
            else:  # no answer: name the connection error
                r.failure(f"no answer: {type(r.error).__name__}: {str(r.error)[:80]}")
        return response


class WebUser(Checked, HttpUser):
    abstract = True
    email = ""

    def login(self):
        page = self.expect("GET", "/login", (200,))
        self.expect("POST", "/login", (302, 303), data={
            "csrf_token": csrf_of(page.text), "email": self.email,
            "password": SEEDED["password"]})


class WebPanellist(WebUser):
    weight = 5
    wait_time = between(2, 6)

    def on_start(self):
        super().on_start()
        self.email = SEEDED["panellists"][next(_next_panellist) % len(SEEDED["panellists"])]
        self.login()
        self.token = ""

    def open_questionnaire(self):
        page = self.expect("GET", QUESTIONNAIRE, (200,), name="GET questionnaire (web)")
        self.token = csrf_of(page.text) or self.token

    def form(self) -> dict:
        data = {f"r-{item}-{c}": str(v) for (item, c), v in ratings().items()}
        data["csrf_token"] = self.token
        return data

    @task(3)
    def questionnaire(self):
        self.open_questionnaire()

    @task(5)
    def autosave(self):
        if not self.token:
            self.open_questionnaire()
        self.expect("POST", f"{QUESTIONNAIRE}/autosave", (200,), name="POST autosave (web)",
                    data=self.form(), headers={"X-CSRFToken": self.token,
                                               "Accept": "application/json"})

    @task(1)
    def submit(self):
        if not self.token:
            self.open_questionnaire()
        data = {**self.form(), "action": "submit"}
        self.expect("POST", QUESTIONNAIRE, (303,), name="POST questionnaire submit (web)", data=data)
        self.open_questionnaire()  # the browser follows the redirect

    @task(1)
    def me(self):
        self.expect("GET", "/me", (200,))

    @task(1)
    def relogin(self):
        if random.random() < 0.3:
            if not self.token:
                self.open_questionnaire()
            self.expect("POST", "/logout", (302, 303), data={"csrf_token": self.token})
            self.login()
            self.token = ""


class ApiPanellist(Checked, HttpUser):
    weight = 3
    wait_time = between(2, 6)

    def on_start(self):
        super().on_start()
        self.email = SEEDED["panellists"][next(_next_panellist) % len(SEEDED["panellists"])]
        self.token = ""
        self.get_token()

    def get_token(self):
        response = self.expect("POST", "/api/v1/auth/token", (200, 201),
                               json={"email": self.email, "password": SEEDED["password"]})
        try:
            self.token = response.json()["token"]
        except (ValueError, KeyError, TypeError):
            self.token = ""  # asked again before the next request
        self.client.headers["Authorization"] = f"Bearer {self.token}"

    def with_token(self) -> bool:
        if not self.token:
            self.get_token()
        return bool(self.token)

    def body(self, submit: bool) -> dict:
        return {"ratings": [{"item": item, "criterion": c, "value": v}
                            for (item, c), v in ratings().items()], "submit": submit}

    @task(2)
    def me(self):
        if self.with_token():
            self.expect("GET", "/api/v1/me", (200,))

    @task(2)
    def read_round(self):
        if self.with_token():
            self.expect("GET", API_ROUND, (200,), name="GET /api/v1/studies/[id]/rounds/[n]")

    @task(4)
    def save_draft(self):
        if self.with_token():
            self.expect("PUT", f"{API_ROUND}/response", (200,), json=self.body(False),
                        name="PUT response draft (api)")

    @task(1)
    def submit(self):
        if self.with_token():
            self.expect("PUT", f"{API_ROUND}/response", (200,), json=self.body(True),
                        name="PUT response submit (api)")

    @task(1)
    def new_token(self):
        if random.random() < 0.3:
            self.get_token()


class Moderator(WebUser):
    weight = 1
    wait_time = between(3, 8)

    def on_start(self):
        super().on_start()
        self.email = SEEDED["moderator"]
        self.login()

    def charts(self, page, name):
        """The first charts of a dashboard page, as the browser loads its images."""
        for src in sorted(set(CHART.findall(page.text or "")))[:4]:
            self.expect("GET", src.replace("&amp;", "&"), (200,), name=name)

    @task(1)
    def dashboard(self):
        self.expect("GET", f"/studies/{STUDY}/dashboard", (302,), name="GET dashboard (redirect)")

    @task(2)
    def closed_round(self):
        page = self.expect("GET", f"/studies/{STUDY}/dashboard/rounds/1", (200,),
                           name="GET dashboard closed round")
        self.charts(page, "GET dashboard chart (closed)")

    @task(2)
    def open_round(self):
        page = self.expect("GET", f"/studies/{STUDY}/dashboard/rounds/{NUMBER}", (200,),
                           name="GET dashboard open round")
        self.charts(page, "GET dashboard chart (open)")


class Researcher(WebUser):
    weight = 1
    wait_time = between(10, 30)

    def on_start(self):
        super().on_start()
        self.email = SEEDED["researcher"]
        self.login()
        self.api_token = ""

    @task(3)
    def export_web(self):
        page = self.expect("GET", f"/studies/{STUDY}/exports", (200,), name="GET exports page")
        self.expect("POST", f"/studies/{STUDY}/exports/deidentified", (200,),
                    name="POST export csv (web)",
                    data={"csrf_token": csrf_of(page.text), "deidentified-tier": "deidentified",
                          "deidentified-format": "csv"})

    @task(1)
    def export_api(self):
        if not self.api_token:
            response = self.expect("POST", "/api/v1/auth/token", (200, 201),
                                   json={"email": self.email, "password": SEEDED["password"]})
            try:
                self.api_token = response.json()["token"]
            except (ValueError, KeyError, TypeError):
                return
        self.expect("GET", f"/api/v1/studies/{STUDY}/export?tier=statistics&format=json&report=false",
                    (200,), name="GET /api/v1/studies/[id]/export",
                    headers={"Authorization": f"Bearer {self.api_token}"})
