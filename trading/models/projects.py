"""Trading projects (交易项目), their lots (标段/包/宗地/标的), amendments and code counters."""
from datetime import datetime
from decimal import Decimal
from typing import Optional

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .meta import Base, IdColumn, new_id

PROJECT_STATUSES = ("draft", "announced", "opening", "evaluating", "auction", "publicity", "awarded", "contracted",
                    "failed", "terminated")
LOT_STATUSES = ("open", "failed", "evaluating", "publicity", "awarded", "contracted")


class Project(Base):
    __tablename__ = "projects"
    __audit_type__ = "project"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    method: Mapped[str] = mapped_column(String(64))
    sector: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[Optional[str]] = mapped_column(Text)
    owner_org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    agent_org_id: Mapped[Optional[str]] = mapped_column(ForeignKey("organizations.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    # instant name -> "YYYY-MM-DDTHH:MM:SS.ffffffZ" (UTC); read through trading.services.projects.timeline_of
    timeline: Mapped[dict] = mapped_column(JSON)
    params: Mapped[dict] = mapped_column(JSON)
    created_by: Mapped[Optional[str]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    published_at: Mapped[Optional[datetime]]
    # when a published project is listed; the published_at or, for drafts, the creation time
    listed_at: Mapped[datetime]
    opening_started_at: Mapped[Optional[datetime]]
    window_until: Mapped[Optional[datetime]]
    opening_closed_at: Mapped[Optional[datetime]]
    terminated_at: Mapped[Optional[datetime]]
    termination_reason: Mapped[Optional[str]] = mapped_column(Text)

    lots: Mapped[list["Lot"]] = relationship(back_populates="project", order_by="Lot.number",
                                             cascade="all, delete-orphan")
    amendments: Mapped[list["Amendment"]] = relationship(back_populates="project", order_by="Amendment.issued_at")
    owner: Mapped["Organization"] = relationship(foreign_keys=[owner_org_id])  # noqa: F821
    agent: Mapped[Optional["Organization"]] = relationship(foreign_keys=[agent_org_id])  # noqa: F821

    @property
    def project_id(self):
        return self.id


# the public list, newest first, and its cursor: (listed_at, id) < (cursor) seeks these indexes
Index("ix_projects_listed", Project.listed_at, Project.id)
Index("ix_projects_listing", Project.status, Project.listed_at, Project.id)
Index("ix_projects_sector_listing", Project.sector, Project.listed_at, Project.id)
# the public site's usual pair (say, tendering projects open for bids), which a ?q= word then narrows
Index("ix_projects_sector_status_listing", Project.sector, Project.status, Project.listed_at, Project.id)
Index("ix_projects_method_listing", Project.method, Project.listed_at, Project.id)
# On PostgreSQL, migration 0008 also adds trigram (pg_trgm) GIN indexes on title and code for the list's
# ?q= search (ILIKE '%word%'), when the extension can be had; they are not declared here because they are optional.


class Lot(Base):
    __tablename__ = "lots"
    __audit_type__ = "lot"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    budget: Mapped[Optional[Decimal]]
    deposit: Mapped[Optional[Decimal]]
    start_price: Mapped[Optional[Decimal]]
    increment: Mapped[Optional[Decimal]]
    reserve_price: Mapped[Optional[Decimal]]
    # None until the project reaches opening; then the lot's own status
    status: Mapped[Optional[str]] = mapped_column(String(16))
    # set when the officer starts the evaluation (评标): from then on officers see the committee
    evaluation_started_at: Mapped[Optional[datetime]]

    project: Mapped[Project] = relationship(back_populates="lots")

    __table_args__ = (UniqueConstraint("project_id", "number", name="uq_lots_project_id_number"),)


class Amendment(Base):
    """An amendment or clarification of a published project (澄清/修改公告)."""

    __tablename__ = "amendments"
    __audit_type__ = "amendment"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    # the instants that changed: name -> [old, new]
    changes: Mapped[dict] = mapped_column(JSON)
    issued_at: Mapped[datetime]
    issued_by: Mapped[Optional[str]] = mapped_column(ForeignKey("users.id"))

    project: Mapped[Project] = relationship(back_populates="amendments")


class ProjectCounter(Base):
    """The last number given per code prefix and year, locked while a code is taken."""

    __tablename__ = "project_counters"

    prefix: Mapped[str] = mapped_column(String(20), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)
