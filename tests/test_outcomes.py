"""Closing the loop (issue 12, part 5): panellists see what became of each item.

After a round closes: accepted, rejected, carried or reworded, with the
group's frozen figures; after the study ends: the final list.
"""
from __future__ import annotations

import pytest

from rounds.outcomes import outcome_of
from tests.factories import answer_round, build_study, close, get_round, user_by_email

RULE = {"kind": "rule", "iqr_max": 1, "agreement_min": 0.7, "disagreement_min": 0.7}


@pytest.mark.parametrize(("verdicts", "carried", "reworded", "expected"), [
    (["consensus_in", "consensus_in"], False, False, "accepted"),
    (["consensus_in", "no_consensus"], True, False, "carried"),
    (["consensus_out"], False, False, "rejected"),
    (["no_consensus"], False, True, "reworded"),
    (["insufficient_n"], False, False, "dropped"),
    ([], False, False, "dropped"),
])
def test_outcome_of(verdicts, carried, reworded, expected):
    assert outcome_of(verdicts, carried=carried, reworded=reworded) == expected


def section(html, item_id):
    return html.split(f'id="outcome-{item_id}"')[1].split("</section>")[0]


def world_after_round_1(app):
    """Four items: all 5s (accepted), all 1s (rejected), spread (reworded), spread (carried)."""
    import rounds
    from delphi.core.database import db
    from delphi.core.models import Item

    world = build_study(app, n_panellists=6, n_items=4, consensus=RULE, max_rounds=2,
                        stop_when_settled=False)
    a, b, c, d = world.item_ids
    spread = [1, 2, 3, 4, 5, 3]
    values = {p: {a: {"importance": 5}, b: {"importance": 1}, c: {"importance": spread[i]},
                  d: {"importance": spread[-1 - i]}} for i, p in enumerate(world.panellists)}
    answer_round(app, world, 1, values)
    close(app, world, 1)
    with app.app_context():
        new = rounds.reword_item(db.session.get(Item, c), "Strategy 3, reworded",
                                 actor=user_by_email(world.moderator))
        db.session.commit()
        new_id = new.id
    return world, new_id


def test_the_round_summary_names_each_outcome_with_the_group_figures(app, client, auth):
    world, _new = world_after_round_1(app)
    a, b, c, d = world.item_ids
    auth.login(world.panellists[0])
    study_page = client.get(f"/panel/studies/{world.study_id}").get_data(as_text=True)
    assert f"/panel/studies/{world.study_id}/rounds/1/summary" in study_page
    html = client.get(f"/panel/studies/{world.study_id}/rounds/1/summary").get_data(as_text=True)
    assert "Results of round 1" in html
    assert "<strong>Accepted</strong>" in section(html, a)
    assert "Consensus to include" in section(html, a)
    assert "<td>5</td>" in section(html, a)  # the median
    assert "100.0%" in section(html, a)
    assert "<strong>Rejected</strong>" in section(html, b)
    assert "Consensus to exclude" in section(html, b)
    assert "<strong>Reworded for the next round</strong>" in section(html, c)
    assert "<strong>Carried to the next round</strong>" in section(html, d)
    assert "No consensus" in section(html, d)
    assert "<td>2.25–3.75</td>" in section(html, d)  # type 7 Q1–Q3 of 1, 2, 3, 3, 4, 5
    for name in world.names.values():
        assert name not in html


def test_only_the_panel_sees_a_summary_and_only_of_a_closed_round(app, client, auth):
    world, _new = world_after_round_1(app)
    auth.login(world.panellists[0])
    assert client.get(f"/panel/studies/{world.study_id}/rounds/2/summary").status_code == 404
    assert client.get(f"/panel/studies/{world.study_id}/final").status_code == 404
    auth.logout()
    auth.login(world.researcher)
    assert client.get(f"/panel/studies/{world.study_id}/rounds/1/summary").status_code == 403


def test_the_final_list_after_the_study_ends(app, client, auth):
    import rounds
    from delphi.core.database import db
    from delphi.core.models import Study

    world, new = world_after_round_1(app)
    a, b, c, d = world.item_ids
    spread = [1, 2, 3, 4, 5, 3]
    values = {p: {new: {"importance": 5}, d: {"importance": spread[i]}}
              for i, p in enumerate(world.panellists)}
    answer_round(app, world, 2, values)
    report = close(app, world, 2)
    assert report.next_round is None  # at most 2 rounds
    with app.app_context():
        rounds.end_study(db.session.get(Study, world.study_id), actor=user_by_email(world.moderator))
        db.session.commit()
    auth.login(world.panellists[2])
    html = client.get(f"/panel/studies/{world.study_id}/final").get_data(as_text=True)
    assert "Final list" in html
    assert "<strong>Accepted</strong> · round 1" in section(html, a)
    assert "<strong>Rejected</strong> · round 1" in section(html, b)
    assert "<strong>Reworded for the next round</strong> · round 1" in section(html, c)
    assert "<strong>Accepted</strong> · round 2" in section(html, new)
    assert "<strong>Not carried further</strong> · round 2" in section(html, d)
    summary = client.get(f"/panel/studies/{world.study_id}/rounds/2/summary").get_data(as_text=True)
    assert "<strong>Not carried further</strong>" in section(summary, d)
    assert f"/panel/studies/{world.study_id}/final" in summary
    with app.app_context():
        assert get_round(world, 2).status.value == "closed"


# -- Receipts ---------------------------------------------------------------------

def test_the_receipt_shows_what_was_submitted_and_mails_it_when_asked(app, client, auth):
    from sqlalchemy import select

    from delphi.core.database import db
    from delphi.core.models import OutboxMessage

    world = build_study(app, n_panellists=6, n_items=2)
    a, b = world.item_ids
    me = world.panellists[0]
    values = {p: {a: {"importance": 4}, b: {"importance": None}} for p in world.panellists}
    answer_round(app, world, 1, values, comments={me: {a: "Works on clay soils."}})
    auth.login(me)
    url = f"/panel/studies/{world.study_id}/rounds/1/receipt"
    page = client.get(f"/panel/studies/{world.study_id}/rounds/1").get_data(as_text=True)
    assert url in page
    html = client.get(url).get_data(as_text=True)
    assert "Your receipt: round 1" in html
    assert "<li>importance: 4 · " in html
    assert "<li>importance: cannot rate</li>" in html
    assert "Your comment: Works on clay soils." in html
    # Without the box ticked, nothing is sent.
    response = client.post(url, data={}, follow_redirects=True)
    assert "Tick the box to receive the receipt by e-mail." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.template == "receipt")).all() == []
    response = client.post(url, data={"send": "yes"}, follow_redirects=True)
    assert "The receipt is on its way to your e-mail address." in response.get_data(as_text=True)
    client.post(url, data={"send": "yes"})  # twice: one message
    with app.app_context():
        sent = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.template == "receipt")).all()
        assert [m.recipient for m in sent] == [me]
        assert "importance: 4 · " in sent[0].body and "Works on clay soils." in sent[0].body
        assert "Round 1" in sent[0].subject or "round 1" in sent[0].subject


def test_no_receipt_before_submitting_and_none_for_others(app, client, auth):
    world = build_study(app, n_panellists=6, n_items=2)
    answer_round(app, world, 1, submit=False, who=world.panellists[:1])
    url = f"/panel/studies/{world.study_id}/rounds/1/receipt"
    auth.login(world.panellists[0])
    assert client.get(url).status_code == 404
    auth.logout()
    auth.login(world.researcher)
    assert client.get(url).status_code == 403
