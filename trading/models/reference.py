"""Reference data: the working-day calendar's overrides and the policies library (政策法规)."""
from datetime import date, datetime
from typing import Optional

from sqlalchemy import Boolean, Date, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .meta import Base, IdColumn, new_id


class CalendarOverride(Base):
    """A day whose working status differs from the calendar package (a holiday or an adjusted working weekend)."""

    __tablename__ = "calendar_overrides"
    __audit_type__ = "calendar_override"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    workday: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[Optional[str]] = mapped_column(String(200))
    updated_at: Mapped[datetime]


class CalendarYear(Base):
    """A year whose official calendar an administrator has entered, so publish stops warning about it."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    confirmed_at: Mapped[datetime]
    note: Mapped[Optional[str]] = mapped_column(String(200))


class Policy(Base):
    """A law, regulation or policy document the centre publishes; rule violations cite them by code."""

    __tablename__ = "policies"
    __audit_type__ = "policy"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    code: Mapped[Optional[str]] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    issuer: Mapped[str] = mapped_column(String(200))
    number: Mapped[Optional[str]] = mapped_column(String(100))
    issued_on: Mapped[Optional[date]] = mapped_column(Date)
    sector: Mapped[str] = mapped_column(String(32))  # tendering | procurement | land | equity | general
    body: Mapped[Optional[str]] = mapped_column(Text)
    file_sha256: Mapped[Optional[str]] = mapped_column(String(64))
    file_name: Mapped[Optional[str]] = mapped_column(String(255))
    created_at: Mapped[datetime]
