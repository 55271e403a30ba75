"""The notification outbox: messages written in the sender's transaction, delivered after commit."""
from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .meta import Base, IdColumn, new_id


class OutboxMessage(Base):
    __tablename__ = "outbox"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    channel: Mapped[str] = mapped_column(String(16))  # sms | voice | email | inbox
    recipient: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[Optional[str]] = mapped_column(IdColumn)
    subject: Mapped[Optional[str]] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime]
    sent_at: Mapped[Optional[datetime]]


Index("ix_outbox_unsent", OutboxMessage.sent_at, OutboxMessage.created_at)
