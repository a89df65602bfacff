"""What withdrawal does to a panellist's answers (issue 12, part 6): the protocol says."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.factories import answer_round, build_study, close, panellist_of


def answers_of(app, world, email):
    from delphi.core.database import db
    from delphi.core.models import Rating, Response

    with app.app_context():
        pid = panellist_of(world, email).id
        return db.session.scalar(select(func.count(Rating.id)).join(
            Response, Response.id == Rating.response_id).where(Response.panellist_id == pid))


def frozen_n(app, round_id):
    from delphi.core.database import db
    from delphi.core.models import ItemStatistics

    with app.app_context():
        return sorted(db.session.execute(select(ItemStatistics.item_id, ItemStatistics.n).where(
            ItemStatistics.round_id == round_id)).all())


def test_the_protocol_setting_is_checked(app):
    import rounds
    from delphi.core.errors import InvalidInput

    assert rounds.Protocol.validate({"title": "T"}).withdrawal == "keep"
    assert rounds.Protocol.validate({"title": "T", "withdrawal": "delete"}).withdrawal == "delete"
    with pytest.raises(InvalidInput) as error:
        rounds.Protocol.validate({"title": "T", "withdrawal": "forget"})
    assert set(error.value.fields) == {"withdrawal"}


@pytest.mark.parametrize(("setting", "phrase", "left"), [
    ("keep", "this study keeps your answers to rounds already closed", 2),
    ("delete", "this study deletes all your answers when you withdraw", 0),
])
def test_the_withdrawal_page_says_what_happens_and_withdrawing_does_it(app, client, auth, setting,
                                                                       phrase, left):
    world = build_study(app, n_panellists=6, n_items=2, withdrawal=setting)
    answer_round(app, world, 1)
    report = close(app, world, 1)
    me = world.panellists[0]
    assert answers_of(app, world, me) == 2
    frozen = frozen_n(app, report.round.id)
    auth.login(me)
    html = client.get(f"/panel/studies/{world.study_id}").get_data(as_text=True)
    assert phrase in html
    client.post(f"/panel/studies/{world.study_id}/withdraw", data={"confirm": "yes"})
    with app.app_context():
        assert panellist_of(world, me).status.value == "withdrawn"
    assert answers_of(app, world, me) == left
    # The closed round's frozen figures do not change either way.
    assert frozen_n(app, report.round.id) == frozen
