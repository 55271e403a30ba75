"""The documentation: every relative link of README.md and docs/ reaches a file (and a heading), each guide exists in both languages."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
GUIDES = ("bidder", "officer", "expert", "inspector", "admin", "operator")
LANGUAGES = ("zh_CN", "en")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)
LINK = re.compile(r"!?\[[^\]]*\]\(\s*([^)\s]+)(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)


def _pages():
    return [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]


def _prose(path):
    """The page without its fenced code blocks (a shell comment is not a heading, nor code a link)."""
    return FENCE.sub("", path.read_text(encoding="utf-8"))


def _anchor(heading):
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", lambda m: m.group(1) or "", heading)
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def _links(path):
    for target in LINK.findall(_prose(path)):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("/"):
            continue  # web addresses, mailto: and the site's own paths (/bidder) are not files here
        yield target


@pytest.mark.parametrize("page", _pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_reaches_a_file_and_heading(page):
    broken = []
    for target in _links(page):
        name, _, fragment = target.partition("#")
        destination = (page.parent / name).resolve() if name else page
        if not destination.exists():
            broken.append(f"{target}: no such file")
        elif fragment and destination.suffix == ".md":
            anchors = {_anchor(h) for h in HEADING.findall(_prose(destination))}
            if fragment not in anchors:
                broken.append(f"{target}: no heading with that anchor")
    assert not broken, f"{page.relative_to(ROOT)}: " + "; ".join(broken)


def test_each_guide_exists_in_both_languages_and_the_index_links_it():
    index = set(_links(DOCS / "README.md"))
    missing = [f"{language}/{guide}.md" for guide in GUIDES for language in LANGUAGES
               if not (DOCS / language / f"{guide}.md").exists() or f"{language}/{guide}.md" not in index]
    assert not missing


def test_each_guide_links_its_other_language():
    for guide in GUIDES:
        for language, other in (("zh_CN", "en"), ("en", "zh_CN")):
            assert f"../{other}/{guide}.md" in set(_links(DOCS / language / f"{guide}.md")), (language, guide)


def test_the_anchor_of_a_heading_follows_github():
    assert _anchor("Importing experts") == "importing-experts"
    assert _anchor("导入专家") == "导入专家"
    assert _anchor("Behind a reverse proxy, with HTTPS") == "behind-a-reverse-proxy-with-https"
    assert _anchor("`ggzy backup` and restore") == "ggzy-backup-and-restore"
