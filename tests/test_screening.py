"""The screen of comments and reasons (rounds.screening): a pure function."""
from __future__ import annotations

import pytest

from rounds.screening import screen_text


def kinds(text, names=()):
    return [(f.kind, f.match) for f in screen_text(text, names)]


def test_email_phone_url_are_flagged_with_what_matched():
    text = ("Write to jane.doe+delphi@inrae.fr or call +33 1 23 45 67 89; "
            "see https://example.org/soil?x=1 and www.4p1000.org.")
    assert kinds(text) == [("email", "jane.doe+delphi@inrae.fr"), ("phone", "+33 1 23 45 67 89"),
                           ("url", "https://example.org/soil?x=1"), ("url", "www.4p1000.org")]


@pytest.mark.parametrize("phone", ["(555) 123-4567", "0612345678", "+49 30 1234567",
                                   "00 44 20 7946 0958", "06.12.34.56.78"])
def test_common_phone_formats(phone):
    assert kinds(f"My number: {phone}.") == [("phone", phone)]


@pytest.mark.parametrize("text", ["Between 2020 and 2030 the stock rose by 0.4 %.",
                                  "Targets for 2025-2030.", "A 4 per 1000 increase, 1.5 t/ha.",
                                  "Objective A5 and B2 matter most."])
def test_years_and_figures_are_not_phone_numbers(text):
    assert kinds(text) == []


def test_bare_domain_is_a_url_but_not_inside_an_email():
    assert kinds("Look at soilcarbon.org/data") == [("url", "soilcarbon.org/data")]
    assert kinds("me@soilcarbon.org") == [("email", "me@soilcarbon.org")]


def test_member_names_whole_words_case_and_accents_ignored():
    names = ["José Müller", "Ann Li"]
    assert kinds("As jose muller said, MÜLLER is right.", names) == [
        ("name", "jose muller"), ("name", "MÜLLER")]
    # Words shorter than three letters are not matched alone; no match inside words.
    assert kinds("Lions and annual liars, Li.", names) == []
    assert kinds("Ann said so.", names) == [("name", "Ann")]


def test_clean_text_has_no_flags():
    assert screen_text("Cover crops are feasible in most regions.", ["Paul Martin"]) == []
