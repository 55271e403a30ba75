"""The expert pool (评标专家库): experts, specialties, conflicts, draws, invitations and conduct records."""
from datetime import date, datetime
from typing import Optional

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trading.models.meta import Base, IdColumn, new_id

EXPERT_STATUSES = ("active", "suspended")
EXCLUSION_REASONS = ("suspended", "employer_owner", "employer_agent", "employer_bidder", "conflict",
                     "already_member", "same_owner_limit", "age")
INVITATION_STATUSES = ("waiting", "pending", "accepted", "declined", "expired")


class Specialty(Base):
    """A specialty of the catalogue (评标专业), hierarchical by code prefix: A01 → A0101."""

    __tablename__ = "specialties"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[Optional[str]] = mapped_column(String(100))
    parent: Mapped[Optional[str]] = mapped_column(String(16), index=True)


class Expert(Base):
    __tablename__ = "experts"
    __audit_type__ = "expert"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100))
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    birth_date: Mapped[date] = mapped_column(Date)
    phone: Mapped[Optional[str]] = mapped_column(String(40))
    employer_name: Mapped[Optional[str]] = mapped_column(String(200))
    employer_uscc: Mapped[Optional[str]] = mapped_column(String(18), index=True)
    region_code: Mapped[Optional[str]] = mapped_column(String(12))
    title: Mapped[Optional[str]] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default="active")
    suspended_until: Mapped[Optional[datetime]]
    suspension_reason: Mapped[Optional[str]] = mapped_column(String(500))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    specialties: Mapped[list["ExpertSpecialty"]] = relationship(back_populates="expert", cascade="all, delete-orphan",
                                                               order_by="ExpertSpecialty.code")
    conflicts: Mapped[list["ExpertConflict"]] = relationship(back_populates="expert", cascade="all, delete-orphan",
                                                            order_by="ExpertConflict.declared_at")

    @property
    def specialty_codes(self):
        return [s.code for s in self.specialties]


class ExpertSpecialty(Base):
    __tablename__ = "expert_specialties"

    expert_id: Mapped[str] = mapped_column(ForeignKey("experts.id"), primary_key=True)
    code: Mapped[str] = mapped_column(ForeignKey("specialties.code"), primary_key=True)

    expert: Mapped[Expert] = relationship(back_populates="specialties")


# the draw looks experts up by specialty prefix: a range scan on this index
Index("ix_expert_specialties_code_expert", ExpertSpecialty.code, ExpertSpecialty.expert_id)


class ExpertConflict(Base):
    """A declared conflict of interest (回避) with an organisation, by its uscc."""

    __tablename__ = "expert_conflicts"
    __audit_type__ = "expert_conflict"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    expert_id: Mapped[str] = mapped_column(ForeignKey("experts.id"), index=True)
    org_uscc: Mapped[str] = mapped_column(String(18), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    declared_at: Mapped[datetime]
    declared_by: Mapped[Optional[str]] = mapped_column(ForeignKey("users.id"))

    expert: Mapped[Expert] = relationship(back_populates="conflicts")


class Draw(Base):
    """A verifiable random draw of an evaluation committee (专家抽取)."""

    __tablename__ = "expert_draws"
    __audit_type__ = "expert_draw"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    lot_id: Mapped[Optional[str]] = mapped_column(ForeignKey("lots.id"), index=True)
    owner_org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    # [{"specialty", "count"}] in the order given
    requirements: Mapped[list] = mapped_column(JSON)
    owner_representatives: Mapped[int] = mapped_column(Integer, default=0)
    alternates: Mapped[int] = mapped_column(Integer, default=0)
    evaluation_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))  # committed | drawn | complete | insufficient
    nonce: Mapped[str] = mapped_column(String(64))  # published only after the run
    commitment: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    created_by: Mapped[Optional[str]] = mapped_column(ForeignKey("users.id"))
    run_at: Mapped[Optional[datetime]]
    head: Mapped[Optional[str]] = mapped_column(String(64))
    eligible_hash: Mapped[Optional[str]] = mapped_column(String(64))
    seed: Mapped[Optional[str]] = mapped_column(String(64))
    # {"<specialty>": [sorted eligible ids]} exactly as hashed
    eligible: Mapped[Optional[dict]] = mapped_column(JSON)
    exclusions: Mapped[Optional[list]] = mapped_column(JSON)

    invitations: Mapped[list["Invitation"]] = relationship(
        back_populates="draw", order_by=lambda: [Invitation.requirement, Invitation.position])


class Invitation(Base):
    """One drawn place: a member invited at once, or an alternate waiting in order (候补)."""

    __tablename__ = "expert_invitations"
    __audit_type__ = "invitation"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    draw_id: Mapped[str] = mapped_column(ForeignKey("expert_draws.id"), index=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    expert_id: Mapped[str] = mapped_column(ForeignKey("experts.id"), index=True)
    specialty: Mapped[str] = mapped_column(String(16))
    requirement: Mapped[int] = mapped_column(Integer)  # index of the requirement in the draw
    position: Mapped[int] = mapped_column(Integer)  # order within the requirement: members first
    role: Mapped[str] = mapped_column(String(16))  # member | alternate (as drawn)
    status: Mapped[str] = mapped_column(String(16))  # waiting | pending | accepted | declined | expired
    invited_at: Mapped[Optional[datetime]]
    expires_at: Mapped[Optional[datetime]]
    answered_at: Mapped[Optional[datetime]]
    reason: Mapped[Optional[str]] = mapped_column(String(500))

    draw: Mapped[Draw] = relationship(back_populates="invitations")
    expert: Mapped[Expert] = relationship()

    __table_args__ = (UniqueConstraint("draw_id", "expert_id", name="uq_expert_invitations_draw_id_expert_id"),)


Index("ix_expert_invitations_expert_status", Invitation.expert_id, Invitation.status)


class ExpertRecord(Base):
    """One line of an expert's history: invited, accepted, declined, expired, evaluated, score_deviation, rating."""

    __tablename__ = "expert_records"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    expert_id: Mapped[str] = mapped_column(ForeignKey("experts.id"))
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(24))
    project_id: Mapped[Optional[str]] = mapped_column(ForeignKey("projects.id"))
    lot_id: Mapped[Optional[str]] = mapped_column(IdColumn)
    detail: Mapped[dict] = mapped_column(JSON)
    rating: Mapped[Optional[int]] = mapped_column(Integer)
    note: Mapped[Optional[str]] = mapped_column(Text)


Index("ix_expert_records_expert_at", ExpertRecord.expert_id, ExpertRecord.at)
