"""Server-side SVG charts of the alert board: alerts per week and per sector, red stacked under yellow.

No script and no library: the SVG is written here and inlined in the page. Each chart names itself
(``<title>``, ``<desc>``), labels both axes and tells red from yellow by a pattern as well as by colour; the page
shows the same numbers in a data table.
"""
from markupsafe import Markup, escape

RED = "#a4161a"
YELLOW = "#b7791f"  # dark enough for 3:1 against white (WCAG 1.4.11), striped so it differs from red without colour
AXIS = "#4f5b67"
GRID = "#d5dbe1"
FONT = 12


def scale(value, count=5):
    """(top of the value axis, step between ticks): whole numbers in steps of 1, 2 or 5 times a power of ten."""
    if value <= count:
        return max(int(value), 1), 1
    raw = value / count
    magnitude = 10 ** (len(str(int(raw))) - 1)
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return -(-int(value) // step) * step, step


def ticks(top, step):
    return list(range(0, int(top) + 1, int(step)))


def text_width(content, size=FONT):
    """A rough width of a label: CJK characters are square, Latin ones about 0.6 of the size."""
    return sum(size if ord(c) > 0x2E80 else size * 0.6 for c in str(content))


def _text(x, y, content, anchor="middle", size=FONT, cls=None, extra=""):
    class_attr = f' class="{cls}"' if cls else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}"{class_attr}{extra}>'
            f"{escape(content)}</text>")


def _defs(prefix):
    return (f'<defs><pattern id="{prefix}-stripes" patternUnits="userSpaceOnUse" width="6" height="6" '
            f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{YELLOW}"/>'
            f'<rect width="2" height="6" fill="#fff" fill-opacity="0.55"/></pattern></defs>')


def _fill(prefix, severity):
    return RED if severity == "red" else f"url(#{prefix}-stripes)"


def _legend(prefix, x, y, labels):
    parts = []
    for severity in ("red", "yellow"):
        parts.append(f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{_fill(prefix, severity)}" '
                     f'stroke="{AXIS}" stroke-width="0.5"/>')
        parts.append(_text(x + 17, y, labels[severity], anchor="start"))
        x += 17 + text_width(labels[severity]) + 20
    return "".join(parts)


def _open(prefix, width, height, title, desc):
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" role="img" aria-labelledby="{prefix}-title {prefix}-desc" '
            f'font-family="inherit" preserveAspectRatio="xMinYMin meet">'
            f'<title id="{prefix}-title">{escape(title)}</title><desc id="{prefix}-desc">{escape(desc)}</desc>'
            + _defs(prefix))


def weekly_chart(weeks, *, prefix, title, desc, x_label, y_label, legend, width=640):
    """Vertical bars, one per week, red at the bottom and yellow on top.

    ``weeks``: [{"label": "12-01", "red": n, "yellow": n, "tip": "..."}]; ``legend``: {"red": ..., "yellow": ...}.
    A narrow ``width`` (for phones) labels every second or third week, so that the labels keep their size.
    """
    height = 300
    left, right, top, bottom = 44 if width < 500 else 52, 12, 34, 58
    plot_w, plot_h = width - left - right, height - top - bottom
    highest = max([w["red"] + w["yellow"] for w in weeks] or [0])
    top_value, step = scale(highest)
    parts = [_open(prefix, width, height, title, desc), _legend(prefix, left, 16, legend)]
    base = top + plot_h
    for value in ticks(top_value, step):
        y = base - plot_h * value / top_value
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        parts.append(_text(left - 6, y + 4, str(value), anchor="end"))
    slot = plot_w / max(len(weeks), 1)
    bar = slot * 0.62
    every = 1 if slot >= 36 else (2 if slot >= 20 else 3)
    for index, week in enumerate(weeks):
        x = left + slot * index + (slot - bar) / 2
        y = base
        for severity in ("red", "yellow"):
            count = week[severity]
            if count:
                h = plot_h * count / top_value
                y -= h
                parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                             f'fill="{_fill(prefix, severity)}"><title>{escape(week.get("tip", ""))}</title></rect>')
        total = week["red"] + week["yellow"]
        if total:
            parts.append(_text(x + bar / 2, y - 4, str(total), size=11))
        if (len(weeks) - 1 - index) % every == 0:  # the latest week always keeps its label
            parts.append(_text(left + slot * index + slot / 2, base + 16, week["label"], size=11))
    parts.append(f'<line x1="{left}" x2="{width - right}" y1="{base}" y2="{base}" stroke="{AXIS}"/>')
    parts.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{base}" stroke="{AXIS}"/>')
    parts.append(_text(left + plot_w / 2, height - 10, x_label))
    parts.append(_text(14, top + plot_h / 2, y_label, extra=f' transform="rotate(-90 14 {top + plot_h / 2:.1f})"'))
    parts.append("</svg>")
    return Markup("".join(parts))


def sector_chart(rows, *, prefix, title, desc, x_label, y_label, legend, width=640):
    """Horizontal bars, one per sector, red then yellow.

    ``rows``: [{"label": "工程建设", "red": n, "yellow": n, "tip": "..."}].
    """
    longest = max([text_width(r["label"]) for r in rows] + [text_width(y_label, 11)])
    label_w = int(min(width * 0.4, longest + 16))
    row_h = 34
    top, bottom, right = 34, 52, 40
    plot_w = width - label_w - right
    plot_h = row_h * max(len(rows), 1)
    height = top + plot_h + bottom
    highest = max([r["red"] + r["yellow"] for r in rows] or [0])
    top_value, step = scale(highest)
    parts = [_open(prefix, width, height, title, desc), _legend(prefix, label_w, 16, legend)]
    base = top + plot_h
    for value in ticks(top_value, step):
        x = label_w + plot_w * value / top_value
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{base}" stroke="{GRID}"/>')
        parts.append(_text(x, base + 16, str(value), size=11))
    for index, row in enumerate(rows):
        y = top + row_h * index + row_h * 0.2
        h = row_h * 0.6
        x = label_w
        parts.append(_text(label_w - 8, y + h / 2 + 4, row["label"], anchor="end"))
        for severity in ("red", "yellow"):
            count = row[severity]
            if count:
                w = plot_w * count / top_value
                parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" '
                             f'fill="{_fill(prefix, severity)}"><title>{escape(row.get("tip", ""))}</title></rect>')
                x += w
        parts.append(_text(x + 6, y + h / 2 + 4, str(row["red"] + row["yellow"]), anchor="start", size=11))
    parts.append(f'<line x1="{label_w}" x2="{label_w}" y1="{top}" y2="{base}" stroke="{AXIS}"/>')
    parts.append(f'<line x1="{label_w}" x2="{label_w + plot_w}" y1="{base}" y2="{base}" stroke="{AXIS}"/>')
    parts.append(_text(label_w + plot_w / 2, height - 10, x_label))
    parts.append(_text(8, top - 8, y_label, anchor="start", size=11, cls="axis-title"))
    parts.append("</svg>")
    return Markup("".join(parts))
