"""The deadline table: every timeline instant the sweep must act on, and when it did."""
from datetime import datetime
from typing import Optional

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .meta import Base, IdColumn, new_id


class Deadline(Base):
    __tablename__ = "deadlines"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    # which transition to apply: a name that a plugin's ggzy_deadline_handlers() maps to a handler
    name: Mapped[str] = mapped_column(String(64))
    project_id: Mapped[Optional[str]] = mapped_column(IdColumn, index=True)
    lot_id: Mapped[Optional[str]] = mapped_column(IdColumn)
    object_id: Mapped[Optional[str]] = mapped_column(String(64))
    at: Mapped[datetime]
    done_at: Mapped[Optional[datetime]]
    outcome: Mapped[Optional[str]] = mapped_column(String(200))


Index("ix_deadlines_due", Deadline.done_at, Deadline.at)
