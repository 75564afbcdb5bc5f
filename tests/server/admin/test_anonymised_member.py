"""A member who deleted their account (LGPD: anonymised, inactive) gets no card replacement and
no manual adjustment, from the web or the CLI (the service refuses), and what they held is no
longer in the liability (issue 23, defect 6)."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask

from loyalty.identification import card_number
from server.clock import now as utcnow
from server.db import new_session
from server.models import Member
from server.services import reports
from server.services.adjustments import adjust
from server.services.cards import replace_card
from server.services.members import MemberError, add_member
from server.services.uow import SqlUnitOfWork

CARD = card_number(77)


def _points_held(app: Flask) -> int:
    f = reports.Filter(
        utcnow() - dt.timedelta(days=1), utcnow() + dt.timedelta(days=1), stores=None
    )
    with new_session(app) as s:
        return int(reports.outstanding(s, f, "points"))


def test_an_anonymised_member_is_refused_and_holds_nothing(app: Flask) -> None:
    def uow() -> SqlUnitOfWork:
        return SqlUnitOfWork.for_app(app)

    add_member(uow(), app.extensions["tillclub.cpf"], "m9", "Ana", card_number=CARD)
    adjust(uow(), "m9", "points", "120", "welcome gift", actor="t", now=utcnow())
    assert _points_held(app) == 120
    with new_session(app) as s, s.begin():  # what the portal's deletion leaves (lgpd.py)
        m = s.get_one(Member, "m9")
        m.name, m.active = "Cliente removido", False
    with pytest.raises(MemberError, match="deleted their account"):
        adjust(uow(), "m9", "points", "5", "late correction", actor="t", now=utcnow())
    with pytest.raises(MemberError, match="no new card"):
        replace_card(uow(), CARD, card_number(78), actor="t", now=utcnow())
    assert _points_held(app) == 0


def test_the_refusals_have_portuguese_text() -> None:
    from server.admin.messages_pt import PT_BR

    for key in (
        "Member {id} deleted their account (LGPD): their balance is closed.",
        "Member {id} deleted their account (LGPD): no new card.",
    ):
        assert "LGPD" in PT_BR[key]
