"""The award notice PDF is rendered once, kept in the file store, and served from there afterwards."""
import hashlib

from sqlalchemy import select

from trading import pdf
from trading.models import RenderedPdf
from trading.storage import get_store

from .sealed import at, set_clock
from .test_evaluation import finalized_lowest_price, lot_path, pdftotext


def test_the_notice_is_rendered_once_then_served_from_the_store(api, script, registry, dbsession, monkeypatch):
    project, bids, _members, _ranking = finalized_lowest_price(api, script)
    path = lot_path(project) + "/award/notice.pdf"
    api.post(lot_path(project) + "/publicity", as_user="officer1", status=201)
    set_clock(api, at(24, 9, 30))
    award = api.post(lot_path(project) + "/award", {"bid_id": bids["bidder2"]}, as_user="officer1", status=201).json

    renders = []
    real_write_pdf = pdf.write_pdf

    def counting(request, html):
        renders.append(html)
        return real_write_pdf(request, html)

    monkeypatch.setattr(pdf, "write_pdf", counting)
    first = api.get(path, as_user="bidder2")
    assert len(renders) == 1 and first.body.startswith(b"%PDF")
    assert first.headers["X-Content-SHA256"] == hashlib.sha256(first.body).hexdigest()
    assert award["notice_hash"][:16] in pdftotext(first.body).replace("\n", "")
    kept = dbsession.execute(select(RenderedPdf).where(RenderedPdf.file_key == hashlib.sha256(first.body).hexdigest()))
    assert [row.template for row in kept.scalars()] == ["award_notice.jinja2"]

    # the winner again and an officer: the same HTML, so the same bytes, with no rendering
    def refuse(request, html):
        raise AssertionError("rendered again")

    monkeypatch.setattr(pdf, "write_pdf", refuse)
    for user in ("bidder2", "officer1"):
        again = api.get(path, as_user=user)
        assert again.body == first.body and again.headers["X-Content-SHA256"] == first.headers["X-Content-SHA256"]
    api.get(path, as_user="bidder1", status=403)

    # another language is another document: rendered once too, never the English one served for it
    monkeypatch.setattr(pdf, "write_pdf", counting)
    chinese = api.get(path, as_user="bidder2", lang="zh-CN")
    assert len(renders) == 2 and chinese.body != first.body and "中标通知书" in pdftotext(chinese.body)
    monkeypatch.setattr(pdf, "write_pdf", refuse)
    assert api.get(path, as_user="bidder2", lang="zh-CN").body == chinese.body

    # a kept file that went missing from the store is rendered again, not answered with an error
    get_store(registry).path(hashlib.sha256(first.body).hexdigest()).unlink()
    monkeypatch.setattr(pdf, "write_pdf", counting)
    restored = api.get(path, as_user="bidder2")
    assert len(renders) == 3 and renders[2] == renders[0]
    assert restored.headers["X-Content-SHA256"] == hashlib.sha256(restored.body).hexdigest()
    assert award["notice_hash"][:16] in pdftotext(restored.body).replace("\n", "")


def test_a_full_file_store_still_serves_the_notice_it_cannot_keep(api, script, registry, dbsession, monkeypatch):
    from trading.storage import FileStore, StorageFull

    project, bids, _members, _ranking = finalized_lowest_price(api, script)
    api.post(lot_path(project) + "/publicity", as_user="officer1", status=201)
    set_clock(api, at(24, 9, 30))
    api.post(lot_path(project) + "/award", {"bid_id": bids["bidder2"]}, as_user="officer1", status=201)

    def full(self, data):
        raise StorageFull()

    monkeypatch.setattr(FileStore, "put_bytes", full)
    served = api.get(lot_path(project) + "/award/notice.pdf", as_user="officer1", status=200)
    assert served.body.startswith(b"%PDF") and served.headers["X-Content-SHA256"] == hashlib.sha256(served.body).hexdigest()
    assert dbsession.execute(select(RenderedPdf)).first() is None  # nothing kept, nothing half-kept
