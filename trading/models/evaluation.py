"""Online evaluation (评标), final quotes, publicity (公示), objections (异议), award (定标) and contract."""
from datetime import datetime
from decimal import Decimal
from typing import Optional

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .meta import Base, IdColumn, new_id


class Evaluation(Base):
    __tablename__ = "evaluations"
    __audit_type__ = "evaluation"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    lot_id: Mapped[str] = mapped_column(ForeignKey("lots.id"), unique=True)
    status: Mapped[str] = mapped_column(String(16))  # scoring | finalized
    # the criteria as they were when the evaluation started
    criteria: Mapped[list] = mapped_column(JSON)
    started_at: Mapped[datetime]
    started_by: Mapped[Optional[str]] = mapped_column(ForeignKey("users.id"))
    finalized_at: Mapped[Optional[datetime]]
    ranking: Mapped[Optional[list]] = mapped_column(JSON)

    members: Mapped[list["EvaluationMember"]] = relationship(back_populates="evaluation", cascade="all, delete-orphan",
                                                             order_by="EvaluationMember.position")


class EvaluationMember(Base):
    __tablename__ = "evaluation_members"

    evaluation_id: Mapped[str] = mapped_column(ForeignKey("evaluations.id"), primary_key=True)
    expert_id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    specialty: Mapped[Optional[str]] = mapped_column(String(16))
    position: Mapped[int]
    signed_at: Mapped[Optional[datetime]]

    evaluation: Mapped[Evaluation] = relationship(back_populates="members")


class QualificationVote(Base):
    __tablename__ = "qualification_votes"

    evaluation_id: Mapped[str] = mapped_column(ForeignKey("evaluations.id"), primary_key=True)
    expert_id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    bid_id: Mapped[str] = mapped_column(ForeignKey("bids.id"), primary_key=True)
    passed: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[Optional[str]] = mapped_column(Text)
    at: Mapped[datetime]


class Score(Base):
    __tablename__ = "scores"

    evaluation_id: Mapped[str] = mapped_column(ForeignKey("evaluations.id"), primary_key=True)
    expert_id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    bid_id: Mapped[str] = mapped_column(ForeignKey("bids.id"), primary_key=True)
    criterion: Mapped[str] = mapped_column(String(32), primary_key=True)
    score: Mapped[Decimal] = mapped_column(Numeric(7, 2))
    at: Mapped[datetime]


class FinalQuoteRound(Base):
    """A final-quote round (最后报价) for negotiation and consultation."""

    __tablename__ = "final_quote_rounds"
    __audit_type__ = "final_quote_round"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    lot_id: Mapped[str] = mapped_column(ForeignKey("lots.id"), index=True)
    opened_at: Mapped[datetime]
    until: Mapped[datetime]


class FinalQuote(Base):
    __tablename__ = "final_quotes"
    __audit_type__ = "final_quote"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    round_id: Mapped[str] = mapped_column(ForeignKey("final_quote_rounds.id"), index=True)
    lot_id: Mapped[str] = mapped_column(ForeignKey("lots.id"), index=True)
    bid_id: Mapped[str] = mapped_column(ForeignKey("bids.id"))
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    price: Mapped[Decimal]
    at: Mapped[datetime]
    ip: Mapped[Optional[str]] = mapped_column(String(64))

    __table_args__ = (UniqueConstraint("round_id", "org_id", name="uq_final_quotes_round_id_org_id"),)


class Publicity(Base):
    """The candidates' publicity (中标候选人公示 / 成交结果公示) of a lot."""

    __tablename__ = "publicities"
    __audit_type__ = "publicity"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    lot_id: Mapped[str] = mapped_column(ForeignKey("lots.id"), unique=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    candidates: Mapped[list] = mapped_column(JSON)


class Objection(Base):
    __tablename__ = "objections"
    __audit_type__ = "objection"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    lot_id: Mapped[str] = mapped_column(ForeignKey("lots.id"), index=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]
    answer: Mapped[Optional[str]] = mapped_column(Text)
    answered_at: Mapped[Optional[datetime]]
    answered_by: Mapped[Optional[str]] = mapped_column(ForeignKey("users.id"))


class Award(Base):
    """The award (中标/成交) of a lot and its notice, verifiable at /verify/{notice_code}."""

    __tablename__ = "awards"
    __audit_type__ = "award"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    lot_id: Mapped[str] = mapped_column(ForeignKey("lots.id"), unique=True)
    bid_id: Mapped[Optional[str]] = mapped_column(ForeignKey("bids.id"))
    winner_org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    winner_name: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal]
    rank: Mapped[Optional[int]]
    reason: Mapped[Optional[str]] = mapped_column(Text)
    awarded_at: Mapped[datetime]
    awarded_by: Mapped[Optional[str]] = mapped_column(ForeignKey("users.id"))
    notice_code: Mapped[str] = mapped_column(String(40), unique=True)
    notice_hash: Mapped[str] = mapped_column(String(64))


class Contract(Base):
    __tablename__ = "contracts"
    __audit_type__ = "contract"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    lot_id: Mapped[str] = mapped_column(ForeignKey("lots.id"), unique=True)
    signed_at: Mapped[datetime]
    amount: Mapped[Decimal]
    recorded_at: Mapped[datetime]
    recorded_by: Mapped[Optional[str]] = mapped_column(ForeignKey("users.id"))


Index("ix_objections_lot_open", Objection.lot_id, Objection.answered_at)
