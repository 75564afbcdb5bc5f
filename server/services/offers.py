"""Personal offers: head office makes one for a member, the member (portal) or the demo
activates it.

An offer that ``requires_activation`` prices at the tills only once activated; activating
bumps the offer's change number so every till of the member's stores pulls the activation at
its next sync. Activating twice keeps the first activation.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm.attributes import flag_modified

from .. import clock
from ..models import MemberOffer, OfferActivation
from .uow import SqlUnitOfWork, use_case


@use_case
def add_offer(
    uow: SqlUnitOfWork,
    offer_id: str,
    member_id: str,
    title: str,
    rule: dict[str, Any],
    *,
    requires_activation: bool = False,
    actor: str = "cli",
) -> None:
    """A personal offer for ``member_id``; ``rule`` is one campaign-format rule."""
    uow.session.add(
        MemberOffer(
            id=offer_id,
            member_id=member_id,
            title=title,
            rule=rule,
            requires_activation=requires_activation,
            active=True,
            created_at=clock.now(),
        )
    )
    uow.audit("admin", actor, "offer.add", "offer", offer_id)


@use_case
def activate_offer(uow: SqlUnitOfWork, offer_id: str, channel: str) -> None:
    """Activate an offer through ``channel`` (``portal``, ``demo``); a second time, nothing."""
    offer = uow.session.get_one(MemberOffer, offer_id)
    if uow.session.get(OfferActivation, offer_id) is None:
        uow.session.add(
            OfferActivation(
                offer_id=offer_id,
                member_id=offer.member_id,
                activated_at=clock.now(),
                channel=channel,
            )
        )
        flag_modified(offer, "active")  # bumps change_seq so agents see the activation
