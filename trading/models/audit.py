"""The hash-chained audit trail (全过程留痕) and its head row."""
from datetime import datetime
from typing import Optional

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .meta import Base, IdColumn

GENESIS_HASH = "0" * 64


class AuditEvent(Base):
    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    actor_id: Mapped[Optional[str]] = mapped_column(IdColumn)
    ip: Mapped[Optional[str]] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[Optional[str]] = mapped_column(String(64))
    object_id: Mapped[Optional[str]] = mapped_column(String(64))
    project_id: Mapped[Optional[str]] = mapped_column(IdColumn)
    # the canonical JSON text exactly as hashed, so that verification never depends on a JSON type's normalisation
    data: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """One row: the last seq and hash. Locking it orders writers, so events chain in commit order."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    hash: Mapped[str] = mapped_column(String(64))


Index("ix_audit_events_project_id_seq", AuditEvent.project_id, AuditEvent.seq)
Index("ix_audit_events_actor_id_seq", AuditEvent.actor_id, AuditEvent.seq)
Index("ix_audit_events_action_seq", AuditEvent.action, AuditEvent.seq)
Index("ix_audit_events_at", AuditEvent.at)
Index("ix_audit_events_object", AuditEvent.object_type, AuditEvent.object_id)
