"""Registrations (报名), their virtual deposit accounts and the bank's payment notices."""
from datetime import datetime
from decimal import Decimal
from typing import Optional

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .meta import Base, IdColumn, new_id


class Registration(Base):
    __tablename__ = "registrations"
    __audit_type__ = "registration"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    user_id: Mapped[Optional[str]] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(20))  # pending_deposit | qualified
    # a virtual account per registration: the bank matches payments without anyone seeing names
    deposit_account: Mapped[str] = mapped_column(String(32), unique=True)
    amount_due: Mapped[Decimal]
    amount_paid: Mapped[Decimal]
    created_at: Mapped[datetime]
    qualified_at: Mapped[Optional[datetime]]
    ip: Mapped[Optional[str]] = mapped_column(String(64))

    lots: Mapped[list["RegistrationLot"]] = relationship(back_populates="registration", cascade="all, delete-orphan")
    payments: Mapped[list["DepositPayment"]] = relationship(back_populates="registration",
                                                           order_by="DepositPayment.received_at")
    organization: Mapped["Organization"] = relationship()  # noqa: F821

    __table_args__ = (UniqueConstraint("project_id", "org_id", name="uq_registrations_project_id_org_id"),)

    @property
    def lot_ids(self):
        return [link.lot_id for link in self.lots]


class RegistrationLot(Base):
    __tablename__ = "registration_lots"

    registration_id: Mapped[str] = mapped_column(ForeignKey("registrations.id"), primary_key=True)
    lot_id: Mapped[str] = mapped_column(ForeignKey("lots.id"), primary_key=True, index=True)

    registration: Mapped[Registration] = relationship(back_populates="lots")


class DepositPayment(Base):
    """One bank notice; ``reference`` makes repeats harmless."""

    __tablename__ = "deposit_payments"
    __audit_type__ = "deposit_payment"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    registration_id: Mapped[str] = mapped_column(ForeignKey("registrations.id"), index=True)
    reference: Mapped[str] = mapped_column(String(100), unique=True)
    amount: Mapped[Decimal]
    paid_at: Mapped[datetime]
    payer_account: Mapped[str] = mapped_column(String(64), index=True)
    received_at: Mapped[datetime]

    registration: Mapped[Registration] = relationship(back_populates="payments")
