"""Organisations, users, bearer tokens and the login throttle."""
from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .meta import Base, IdColumn, new_id

ROLES = ("admin", "officer", "bidder", "expert", "inspector")
ORG_KINDS = ("owner", "agent", "bidder")


class Organization(Base):
    """An owner (tenderer, purchaser, transferor), an agent or a bidder organisation."""

    __tablename__ = "organizations"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    legal_representative: Mapped[Optional[str]] = mapped_column(String(100))
    contact_name: Mapped[Optional[str]] = mapped_column(String(100))
    phone: Mapped[Optional[str]] = mapped_column(String(40))
    email: Mapped[Optional[str]] = mapped_column(String(200))
    created_at: Mapped[datetime]
    # contact_key of the phone, the email and the legal representative, kept by the mapper events below: the
    # shared-contact collusion rule looks its matches up by index instead of reading every other bidder of the
    # lot at every bid (300 bidders on a lot made that a fifth of a bid's CPU, under the audit chain's lock)
    phone_key: Mapped[Optional[str]] = mapped_column(Text, index=True)
    email_key: Mapped[Optional[str]] = mapped_column(Text, index=True)
    representative_key: Mapped[Optional[str]] = mapped_column(Text, index=True)

    users: Mapped[list["User"]] = relationship(back_populates="organization")


def contact_key(value):
    """A phone, email or name as the shared-contact rule compares them: no whitespace anywhere, lower case."""
    key = "".join((value or "").split()).lower()
    return key or None


@event.listens_for(Organization, "before_insert")
@event.listens_for(Organization, "before_update")
def _keep_contact_keys(mapper, connection, org):
    org.phone_key = contact_key(org.phone)
    org.email_key = contact_key(org.email)
    org.representative_key = contact_key(org.legal_representative)


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    org_id: Mapped[Optional[str]] = mapped_column(ForeignKey("organizations.id"), index=True)
    expert_id: Mapped[Optional[str]] = mapped_column(IdColumn, index=True)
    display_name: Mapped[Optional[str]] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    password_changed_at: Mapped[Optional[datetime]]

    organization: Mapped[Optional[Organization]] = relationship(back_populates="users")


class AuthToken(Base):
    """A bearer token; only its SHA-256 is stored, so a database dump cannot be replayed."""

    __tablename__ = "auth_tokens"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[Optional[datetime]]

    user: Mapped[User] = relationship()


class LoginThrottle(Base):
    """Consecutive failed logins per username (known or not) and the lock they caused."""

    __tablename__ = "login_throttle"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[Optional[datetime]]


Index("ix_auth_tokens_expires_at", AuthToken.expires_at)
