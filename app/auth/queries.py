"""Reads for accounts."""

from __future__ import annotations

import sqlalchemy as sa

from .models import User


def user_by_email(email: str) -> sa.Select:
    return sa.select(User).where(User.email == normalize_email(email))


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()
