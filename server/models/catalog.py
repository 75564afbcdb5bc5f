"""Products and categories: just enough for campaign rules (by SKU or category) and reports.

Products sync to the agents (change type ``product``), so a till can refuse an unknown SKU and
print product names; prices stay with the POS (``list_price`` is for reports only).
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from .sync import ChangeTracked


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("categories.id"))


class Product(ChangeTracked, Base):
    __tablename__ = "products"

    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    category_id: Mapped[str | None] = mapped_column(ForeignKey("categories.id"), index=True)
    brand: Mapped[str | None] = mapped_column(String(100))
    list_price: Mapped[Decimal | None]
    active: Mapped[bool] = mapped_column(default=True)
