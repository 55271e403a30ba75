"""Public ascending auctions: each lot's live state, paddle numbers and every accepted quote or bid."""
from datetime import datetime
from decimal import Decimal
from typing import Optional

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .meta import Base, IdColumn, new_id

PHASES = ("registration", "listing", "waiting", "live", "ended")


class AuctionState(Base):
    """One row per auction lot; bids lock it, so accepted amounts rise strictly with seq."""

    __tablename__ = "auction_states"
    __audit_type__ = "auction"

    lot_id: Mapped[str] = mapped_column(ForeignKey("lots.id"), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    phase: Mapped[str] = mapped_column(String(16))
    current: Mapped[Optional[Decimal]]
    leader_org_id: Mapped[Optional[str]] = mapped_column(IdColumn)
    leader_paddle: Mapped[Optional[str]] = mapped_column(String(8))
    seq: Mapped[int] = mapped_column(Integer, default=0)
    ends_at: Mapped[Optional[datetime]]
    live_at: Mapped[Optional[datetime]]
    ended_at: Mapped[Optional[datetime]]
    result: Mapped[Optional[str]] = mapped_column(String(16))  # awarded | failed
    result_reason: Mapped[Optional[str]] = mapped_column(String(64))

    @property
    def id(self):
        return self.lot_id


class Paddle(Base):
    """A bidder's number on a lot (竞买号牌), kept from listing to live; never its name."""

    __tablename__ = "paddles"

    lot_id: Mapped[str] = mapped_column(ForeignKey("lots.id"), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), primary_key=True)
    number: Mapped[str] = mapped_column(String(8))
    assigned_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("lot_id", "number", name="uq_paddles_lot_id_number"),)


class AuctionBid(Base):
    """An accepted listing quote (挂牌报价) or live bid (竞价), in seq order per lot."""

    __tablename__ = "auction_bids"
    __audit_type__ = "auction_bid"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    lot_id: Mapped[str] = mapped_column(ForeignKey("lots.id"))
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"))
    seq: Mapped[int] = mapped_column(Integer)
    phase: Mapped[str] = mapped_column(String(8))  # listing | live
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    paddle: Mapped[str] = mapped_column(String(8))
    amount: Mapped[Decimal]
    at: Mapped[datetime]
    ip: Mapped[Optional[str]] = mapped_column(String(64))
    device: Mapped[Optional[str]] = mapped_column(String(128))

    __table_args__ = (UniqueConstraint("lot_id", "seq", name="uq_auction_bids_lot_id_seq"),)


Index("ix_auction_bids_lot_org", AuctionBid.lot_id, AuctionBid.org_id)
