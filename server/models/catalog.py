"""Products and categories: just enough for campaign rules (by SKU or category) and reports."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("categories.id"))


class Product(Base):
    __tablename__ = "products"

    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    category_id: Mapped[str | None] = mapped_column(ForeignKey("categories.id"), index=True)
    list_price: Mapped[Decimal | None]
    active: Mapped[bool] = mapped_column(default=True)
