"""Head-office writes used by the CLI, tests and the future admin UI: campaigns, members,
cards, vouchers, offers and raffle blocks. Each change is audited and stamped for sync."""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal
from typing import Any

from sqlalchemy.orm.attributes import flag_modified

from loyalty.errors import LoyaltyError

from .. import clock
from ..models import (
    Campaign,
    Card,
    CardStatus,
    Member,
    MemberOffer,
    OfferActivation,
    RaffleCampaign,
    RaffleNumberBlock,
    Voucher,
)
from ..security import CpfCipher
from .tiers import first_step
from .uow import SqlUnitOfWork


class CampaignInvalid(LoyaltyError):
    code = "invalid_campaign"


def validate_campaign(document: Any) -> None:
    """Check a campaign document with the pricing engine (``compile_rules``) when available.

    :raises LoyaltyError: the engine's error for a bad rule, or ``CampaignInvalid`` for a
        document that is not ``{"rules": [...]}``.
    """
    if not isinstance(document, dict) or not isinstance(document.get("rules"), list):
        raise CampaignInvalid(
            'a campaign document is {"rules": [...]}', 'uma campanha é {"rules": [...]}'
        )
    try:
        from loyalty.pricing.index import compile_rules
    except ImportError:  # pricing package not installed in this build
        return
    compile_rules(document)


def put_campaign(
    uow: SqlUnitOfWork,
    campaign_id: str,
    name: str,
    document: dict[str, Any],
    store_ids: list[str] | None = None,
    *,
    active: bool = True,
    actor: str = "cli",
) -> int:
    """Create or replace a campaign; returns its new version.

    :raises LoyaltyError: invalid rules, or a raffle rule whose ``per_amount`` is not its
        raffle's ``spend_per_number``.
    """
    from .raffle import check_campaign_raffles

    validate_campaign(document)
    now = clock.now()
    with uow:
        # One raffle ratio (docs/raffle.md): refused while nothing is written.
        check_campaign_raffles(uow.session, document)
        row = uow.session.get(Campaign, campaign_id)
        if row is None:
            row = Campaign(id=campaign_id, version=0, created_at=now)
            uow.session.add(row)
        row.name = name
        row.document = document
        row.store_ids = store_ids
        row.active = active
        row.version += 1
        row.updated_at = now
        version = row.version
        uow.audit("admin", actor, "campaign.put", "campaign", campaign_id, version=version)
        uow.commit()
    return version


def add_member(
    uow: SqlUnitOfWork,
    cipher: CpfCipher,
    member_id: str,
    name: str,
    *,
    cpf: str | None = None,
    card_number: str | None = None,
    birth_date: dt.date | None = None,
    consent_marketing: bool = False,
    actor: str = "cli",
) -> None:
    now = clock.now()
    with uow:
        uow.session.add(
            Member(
                id=member_id,
                name=name,
                cpf_encrypted=cipher.encrypt(cpf, member_id) if cpf else None,
                cpf_hash=cipher.lookup_hash(cpf) if cpf else None,
                birth_date=birth_date,
                consent_terms=True,
                consent_terms_at=now,
                consent_marketing=consent_marketing,
                consent_marketing_at=now if consent_marketing else None,
                active=True,
                created_at=now,
                updated_at=now,
                tier=first_step(uow.session),  # new members start on the ladder's first step
            )
        )
        if card_number:
            uow.session.flush()
            uow.session.add(
                Card(
                    number=card_number,
                    member_id=member_id,
                    status=CardStatus.ACTIVE,
                    issued_at=now,
                    updated_at=now,
                )
            )
        uow.audit("admin", actor, "member.add", "member", member_id)
        uow.commit()


def set_card_status(
    uow: SqlUnitOfWork, number: str, status: CardStatus, *, actor: str = "cli"
) -> None:
    with uow:
        card = uow.session.get_one(Card, number)
        card.status = status
        card.updated_at = clock.now()
        uow.audit("admin", actor, "card.status", "card", card.member_id, status=status.value)
        uow.commit()


def add_voucher(
    uow: SqlUnitOfWork,
    voucher_id: str,
    code: str,
    *,
    amount: Decimal | None = None,
    percent: Decimal | None = None,
    valid_from: dt.datetime,
    valid_until: dt.datetime,
    max_uses: int | None = 1,
    store_ids: list[str] | None = None,
    member_id: str | None = None,
    min_subtotal: Decimal = Decimal("0.00"),
    name: str = "",
    actor: str = "cli",
) -> None:
    with uow:
        uow.session.add(
            Voucher(
                voucher_id=voucher_id,
                code=code,
                name=name or voucher_id,
                percent=percent,
                amount=amount,
                min_subtotal=min_subtotal,
                valid_from=valid_from,
                valid_until=valid_until,
                max_uses=max_uses,
                store_ids=store_ids,
                member_id=member_id,
                campaign_id=None,
                void=False,
                accepted_sale_ids=[],
                created_at=clock.now(),
            )
        )
        uow.audit("admin", actor, "voucher.add", "voucher", voucher_id)
        uow.commit()


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
    with uow:
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
        uow.commit()


def activate_offer(uow: SqlUnitOfWork, offer_id: str, channel: str) -> None:
    with uow:
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
        uow.commit()


def add_raffle(
    uow: SqlUnitOfWork,
    raffle_id: str,
    name: str,
    authorisation_number: str,
    spend_per_number: Decimal,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    rules: dict[str, Any] | None = None,
    actor: str = "cli",
) -> None:
    """Create a raffle campaign; the permutation key is drawn here, once.

    The campaign is checked by the core (``loyalty.rewards.RaffleCampaign``) before anything
    is written, so a bad one leaves no row.

    :param rules: optional ``series_count``, ``draw_date`` (ISO date),
        ``max_numbers_per_sale`` and ``regulation`` (``DrawRegulation`` fields).
    :raises RaffleServiceError: a raffle with this id exists already.
    :raises LoyaltyError: the core refuses the campaign (series count, amount, dates), or a
        published campaign's raffle rule naming ``raffle_id`` counts another ratio.
    """
    from loyalty.money import Money

    from .raffle import RaffleServiceError, check_new_raffle, to_campaign

    row = RaffleCampaign(
        id=raffle_id,
        name=name,
        authorisation_number=authorisation_number,
        spend_per_number=spend_per_number,
        starts_at=starts_at,
        ends_at=ends_at,
        # The permutation key is drawn once, here: it spreads the campaign's numbers.
        rules={"permutation_key": secrets.token_hex(16)} | dict(rules or {}),
        active=True,
    )
    try:
        to_campaign(row)
    except TypeError as exc:  # an unknown regulation field
        raise RaffleServiceError("invalid raffle rules: {error}", error=str(exc)) from None
    with uow:
        if uow.session.get(RaffleCampaign, raffle_id) is not None:
            raise RaffleServiceError("Raffle {id} exists already.", "raffle_id", id=raffle_id)
        check_new_raffle(uow.session, raffle_id, Money(spend_per_number))
        uow.session.add(row)
        after = {
            "name": name,
            "authorisation_number": authorisation_number,
            "spend_per_number": str(spend_per_number),
            "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat(),
            "rules": {k: v for k, v in row.rules.items() if k != "permutation_key"},
        }
        uow.audit("admin", actor, "raffle.add", "raffle", raffle_id, before=None, after=after)
        uow.commit()


def assign_block(
    uow: SqlUnitOfWork,
    block_id: str,
    raffle_id: str,
    store_id: str,
    series: int,
    first: int,
    last: int,
    terminal_id: str | None = None,
    actor: str = "cli",
) -> None:
    with uow:
        uow.session.add(
            RaffleNumberBlock(
                id=block_id,
                raffle_id=raffle_id,
                store_id=store_id,
                terminal_id=terminal_id,
                series=series,
                first_element=first,
                last_element=last,
                assigned_at=clock.now(),
            )
        )
        uow.audit("admin", actor, "raffle.block", "raffle_block", block_id, store_id=store_id)
        uow.commit()
