"""Project documents (招标文件, 澄清) in the content-addressed store, and questions with their answers."""
from datetime import datetime
from typing import Optional

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .meta import Base, IdColumn, new_id


class Document(Base):
    __tablename__ = "documents"
    __audit_type__ = "document"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # tender | clarification | other
    name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    uploaded_by: Mapped[Optional[str]] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime]


class Question(Base):
    """A bidder's question (答疑), shown without its author; answered publicly by the officer."""

    __tablename__ = "questions"
    __audit_type__ = "question"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    asked_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    asked_org_id: Mapped[Optional[str]] = mapped_column(ForeignKey("organizations.id"))
    asked_at: Mapped[datetime]
    answer: Mapped[Optional[str]] = mapped_column(Text)
    answered_at: Mapped[Optional[datetime]]
    answered_by: Mapped[Optional[str]] = mapped_column(ForeignKey("users.id"))


class RenderedPdf(Base):
    """A PDF rendered once and kept in the file store, found again by the hash of the HTML it was made from.

    The HTML holds everything the PDF shows (texts, locale, QR address), so an unchanged document is served
    from the store, and any change, even of one character, makes a new entry instead of a stale answer.
    """

    __tablename__ = "rendered_pdfs"

    html_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    template: Mapped[str] = mapped_column(String(100))
    file_key: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    rendered_at: Mapped[datetime]
