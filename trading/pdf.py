"""PDFs rendered by WeasyPrint from Jinja2 templates (templates/pdf/), with a CJK font and their own hash."""
import hashlib
import logging
import threading

from pyramid.renderers import render
from pyramid.response import Response

PDF_TEMPLATES = "trading:templates/pdf/"

_fonts = threading.local()

log = logging.getLogger(__name__)


def html_for(request, template, values):
    return render(PDF_TEMPLATES + template, values, request=request)


def font_config():
    """WeasyPrint's font configuration, one per thread (Pango's font maps are not thread-safe).

    A new one per document makes fontconfig and Pango load the CJK fonts (20 MB each) again: kept, it
    saves about a second a PDF on this machine's first renders and a third of the time on later ones.
    """
    config = getattr(_fonts, "config", None)
    if config is None:
        from weasyprint.text.fonts import FontConfiguration

        config = _fonts.config = FontConfiguration()
    return config


def write_pdf(request, html):
    from weasyprint import HTML  # imported on first use: it takes a second to load

    base_url = request.registry.settings.get("ggzy.pdf_base_url", ".")
    return HTML(string=html, base_url=base_url).write_pdf(font_config=font_config())


def pdf_bytes(request, template, values):
    return write_pdf(request, html_for(request, template, values))


def render_pdf(request, template, values, filename):
    return pdf_response(pdf_bytes(request, template, values), filename)


def pdf_response(data, filename, sha256=None):
    response = Response(body=data, content_type="application/pdf")
    response.content_disposition = f'inline; filename="{filename}"'
    response.headers["X-Content-SHA256"] = sha256 or hashlib.sha256(data).hexdigest()
    response.headers["Cache-Control"] = "private, no-store"
    return response


def render_kept_pdf(request, template, values, filename):
    """``render_pdf`` for a document that is rendered once and then served from the file store.

    The key is the SHA-256 of the template's name and the HTML it renders to. The HTML carries everything the
    PDF shows (the record's fields, the language, the QR code's address), so the same HTML always gives the
    same document, and any change gives a new key rather than a stale PDF. Rendering the HTML costs a few
    milliseconds; WeasyPrint costs a second. Two first requests at once may both render; one row remains.
    """
    from .models import RenderedPdf
    from .storage import StorageFull, get_store

    html = html_for(request, template, values)
    html_hash = hashlib.sha256(f"{template}\0{html}".encode("utf-8")).hexdigest()
    store = get_store(request.registry)
    kept = request.dbsession.get(RenderedPdf, html_hash)
    if kept is not None:
        data = _read_kept(store, kept.file_key)
        if data is not None:
            return pdf_response(data, filename, kept.file_key)
    data = write_pdf(request, html)
    try:
        key, size = store.put_bytes(data)
    except StorageFull:
        log.warning("file store full: %s served without being kept", filename)
        return pdf_response(data, filename)  # the document is whole; only keeping it failed
    _keep(request, {"html_hash": html_hash, "template": template, "file_key": key, "size": size,
                    "rendered_at": request.clock.now()})
    return pdf_response(data, filename, key)


def _read_kept(store, key):
    """The stored PDF, or None when the file is missing or does not match its key (then it is rendered again)."""
    try:
        data = store.read(key)
    except FileNotFoundError:
        return None
    return data if hashlib.sha256(data).hexdigest() == key else None


def _keep(request, row):
    """Insert or refresh the row in one statement, so that a concurrent first request cannot make it fail."""
    from zope.sqlalchemy import mark_changed

    from .models import RenderedPdf

    dialect = request.dbsession.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(RenderedPdf).values(**row)
    statement = statement.on_conflict_do_update(
        index_elements=[RenderedPdf.html_hash],
        set_={name: statement.excluded[name] for name in ("file_key", "size", "rendered_at")})
    request.dbsession.execute(statement)
    # a Core statement is not an ORM change: without this, the transaction manager would roll it back
    mark_changed(request.dbsession)
