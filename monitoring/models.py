"""Alerts (预警): one per rule and object, with their evidence and the inspector's workflow."""
from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from trading.models.meta import Base, IdColumn, new_id

SEVERITIES = ("red", "yellow")
STATUSES = ("open", "acknowledged", "resolved")


class Alert(Base):
    __tablename__ = "alerts"
    __audit_type__ = "alert"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    rule: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="open")
    # the object the alert is about (a lot, a bid, an award, a contract, an evaluation, ...)
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64))
    project_id: Mapped[Optional[str]] = mapped_column(ForeignKey("projects.id"), index=True)
    lot_id: Mapped[Optional[str]] = mapped_column(IdColumn)
    sector: Mapped[Optional[str]] = mapped_column(String(32))
    evidence: Mapped[list] = mapped_column(JSON)
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    due_at: Mapped[datetime]
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    escalated_at: Mapped[Optional[datetime]]
    acknowledged_at: Mapped[Optional[datetime]]
    acknowledged_by: Mapped[Optional[str]] = mapped_column(ForeignKey("users.id"))
    acknowledge_note: Mapped[Optional[str]] = mapped_column(Text)
    resolved_at: Mapped[Optional[datetime]]
    resolved_by: Mapped[Optional[str]] = mapped_column(ForeignKey("users.id"))
    resolve_note: Mapped[Optional[str]] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("rule", "object_type", "object_id", name="uq_alerts_rule_object"),)


Index("ix_alerts_board", Alert.status, Alert.severity, Alert.first_seen_at)
Index("ix_alerts_rule", Alert.rule, Alert.first_seen_at)
