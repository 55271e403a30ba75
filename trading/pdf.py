"""PDFs rendered by WeasyPrint from Jinja2 templates (templates/pdf/), with a CJK font and their own hash."""
import hashlib

from pyramid.renderers import render
from pyramid.response import Response

PDF_TEMPLATES = "trading:templates/pdf/"


def html_for(request, template, values):
    return render(PDF_TEMPLATES + template, values, request=request)


def pdf_bytes(request, template, values):
    from weasyprint import HTML  # imported on first use: it takes a second to load

    html = html_for(request, template, values)
    return HTML(string=html, base_url=request.registry.settings.get("ggzy.pdf_base_url", ".")).write_pdf()


def render_pdf(request, template, values, filename):
    data = pdf_bytes(request, template, values)
    response = Response(body=data, content_type="application/pdf")
    response.content_disposition = f'inline; filename="{filename}"'
    response.headers["X-Content-SHA256"] = hashlib.sha256(data).hexdigest()
    response.headers["Cache-Control"] = "private, no-store"
    return response
