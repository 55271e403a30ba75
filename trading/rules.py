"""What rule checks see of a project, and the day counting of RULES.md "Counting days"."""
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Optional

from .i18n import LOCAL_TZ


def local_date(moment):
    """The Asia/Shanghai date of an instant."""
    return moment.astimezone(LOCAL_TZ).date()


def days_between(start, end):
    """``date(end) − date(start)`` in Asia/Shanghai dates: "at least N days from A to B" means this ≥ N."""
    return (local_date(end) - local_date(start)).days


@dataclass
class LotView:
    id: Optional[str]
    number: int
    title: str
    budget: Optional[Decimal] = None
    deposit: Optional[Decimal] = None
    start_price: Optional[Decimal] = None
    increment: Optional[Decimal] = None
    reserve_price: Optional[Decimal] = None


@dataclass
class ProjectView:
    """A project as the rule checks see it: timeline instants as aware UTC datetimes, money as Decimal."""

    id: Optional[str]
    method: str
    sector: str
    timeline: dict
    params: dict
    lots: list = field(default_factory=list)
    owner_org_id: Optional[str] = None
    agent_org_id: Optional[str] = None
    published_at: Optional[datetime] = None


@dataclass
class AmendmentView:
    old_timeline: dict
    issued_at: datetime
    text: str = ""
