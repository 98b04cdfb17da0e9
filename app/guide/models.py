"""The departments that publish the service guide together."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..core.i18n import Bilingual
from ..extensions import db


class Department(Bilingual, db.Model):
    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(sa.String(160))
    name_en: Mapped[str] = mapped_column(sa.String(200), default="")
    short_zh: Mapped[str] = mapped_column(sa.String(40), default="")
    short_en: Mapped[str] = mapped_column(sa.String(60), default="")
    phone: Mapped[str] = mapped_column(sa.String(40), default="")
    address_zh: Mapped[str] = mapped_column(sa.String(200), default="")
    address_en: Mapped[str] = mapped_column(sa.String(240), default="")
    hours_zh: Mapped[str] = mapped_column(sa.String(200), default="")
    hours_en: Mapped[str] = mapped_column(sa.String(240), default="")

    def __repr__(self) -> str:
        return f"<Department {self.code}>"
