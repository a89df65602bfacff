"""The process's messages: thank-you, closing notice, feedback summary."""
from __future__ import annotations

from tests.factories import answer_round, build_study, close, get_round, open_round_of
from tests.test_mail import in_days, outbox, set_language


def test_thank_you_once_per_response_even_when_amended(app):
    world = build_study(app, n_panellists=3, n_items=2, title="Peatlands")
    open_round_of(app, world, 1, closes_at=in_days(5))
    answer_round(app, world, 1, who=world.panellists[:2], seed=1)
    answer_round(app, world, 1, who=world.panellists[:1], seed=2)   # amended and resubmitted
    thanks = outbox(app, template="thanks")
    assert sorted(m.recipient for m in thanks) == sorted(world.panellists[:2])
    assert thanks[0].subject == "Thank you for your answers to round 1 of \u201cPeatlands\u201d"
    assert "You may amend them until the round closes on" in thanks[0].body


def test_closing_notice_and_feedback_summary_of_the_next_round(app):
    world = build_study(app, n_panellists=6, n_items=3, title="Agroforestry", min_n=3,
                        carry_forward="all", stop_when_settled=False)
    set_language(app, world.panellists[5], "fr")
    answer_round(app, world, 1, who=world.panellists[:4], values=lambda e, i, c: 5)
    report = close(app, world, 1)
    assert report.next_round is not None

    closed = {m.recipient: m for m in outbox(app, template="closed")}
    assert set(closed) == set(world.panellists)
    assert "Your answers were counted" in closed[world.panellists[0]].body
    assert "We did not receive your answers" in closed[world.panellists[4]].body
    assert "Nous n'avons pas re\u00e7u vos r\u00e9ponses" in closed[world.panellists[5]].body

    open_round_of(app, world, 2, closes_at=in_days(5))
    feedback = {m.recipient: m for m in outbox(app, template="feedback")}
    assert set(feedback) == set(world.panellists)
    body = feedback[world.panellists[0]].body
    assert "What the panel said in round 1:" in body
    assert "67% of the panel answered." in body
    assert "http://localhost/q/" in body
    assert "Ce que le panel a r\u00e9pondu au tour 1" in feedback[world.panellists[5]].body
    assert not outbox(app, template="invitation", round_id=report.next_round.id)


def test_feedback_summary_counts_items_at_consensus(app):
    world = build_study(app, n_panellists=6, n_items=3, min_n=3, carry_forward="all")
    values = lambda email, item, criterion: 5 if item == world.item_ids[0] else (  # noqa: E731
        1 if world.panellists.index(email) % 2 else 5)
    answer_round(app, world, 1, values=values)
    report = close(app, world, 1)
    assert report.next_round is not None
    open_round_of(app, world, 2, closes_at=in_days(5))
    body = outbox(app, template="feedback")[0].body
    assert "100% of the panel answered." in body
    assert "1 of 3 items reached consensus." in body
    assert "3 items come back to you in this round" in body


def test_no_message_for_a_withdrawn_panellist(app):
    import rounds
    from delphi.extensions import db
    from tests.factories import panellist_of, user_by_email

    world = build_study(app, n_panellists=3, n_items=1)
    open_round_of(app, world, 1, closes_at=in_days(5))
    with app.app_context():
        rounds.withdraw_panellist(panellist_of(world, world.panellists[2]),
                                  actor=user_by_email(world.moderator))
        db.session.commit()
        rounds.close_round(get_round(world, 1), actor=user_by_email(world.moderator))
        db.session.commit()
    assert world.panellists[2] not in {m.recipient for m in outbox(app, template="closed")}
