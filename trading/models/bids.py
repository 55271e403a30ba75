"""Sealed bids (投标文件): ciphertext only until the owner decrypts at the opening."""
from datetime import datetime
from decimal import Decimal
from typing import Optional

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .meta import Base, IdColumn, new_id

BID_STATUSES = ("sealed", "superseded", "withdrawn", "opened", "decrypt_failed", "above_ceiling")


class Bid(Base):
    __tablename__ = "bids"
    __audit_type__ = "bid"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    lot_id: Mapped[str] = mapped_column(ForeignKey("lots.id"), index=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(20))
    submitted_at: Mapped[datetime]
    # argon2id parameters and salt of the key; the key itself is never stored
    kdf: Mapped[dict] = mapped_column(JSON)
    salt: Mapped[bytes] = mapped_column(LargeBinary(32))
    offer_nonce: Mapped[bytes] = mapped_column(LargeBinary(12))
    offer_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    receipt_hash: Mapped[str] = mapped_column(String(64))
    ip: Mapped[Optional[str]] = mapped_column(String(64))
    device: Mapped[Optional[str]] = mapped_column(String(128))
    withdrawn_at: Mapped[Optional[datetime]]
    superseded_by: Mapped[Optional[str]] = mapped_column(IdColumn)
    # filled only by the owner's decryption at the opening
    opened_at: Mapped[Optional[datetime]]
    offer: Mapped[Optional[dict]] = mapped_column(JSON)
    price: Mapped[Optional[Decimal]]
    unlock_failures: Mapped[int] = mapped_column(Integer, default=0)

    files: Mapped[list["BidFile"]] = relationship(back_populates="bid", order_by="BidFile.position",
                                                  cascade="all, delete-orphan")
    organization: Mapped["Organization"] = relationship()  # noqa: F821


Index("ix_bids_lot_status", Bid.lot_id, Bid.status)


class BidFile(Base):
    __tablename__ = "bid_files"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    bid_id: Mapped[str] = mapped_column(ForeignKey("bids.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    # SHA-256 of the plaintext: on the receipt, and compared across bids for identical files
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    nonce: Mapped[bytes] = mapped_column(LargeBinary(12))
    # the store key of the ciphertext, and after decryption of the plaintext
    cipher_key: Mapped[str] = mapped_column(String(64))
    plain_key: Mapped[Optional[str]] = mapped_column(String(64))

    bid: Mapped[Bid] = relationship(back_populates="files")
