"""The ggzy translation catalogs: complete in Chinese, placeholders intact, compiled into what Pyramid loads."""
import os
import re
import shutil
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po
from pyramid.i18n import make_localizer

from trading import catalogs
from trading.i18n import _

ROOT = Path(__file__).resolve().parents[2]
LOCALE_DIR = ROOT / "trading" / "locale"
# what translationstring (Pyramid) interpolates from mapping=: ${name} and bare $name, not $$
PLACEHOLDER = re.compile(r"(?<!\$)\$(?:\{[a-zA-Z][-a-zA-Z0-9_]*\}|[a-zA-Z][-a-zA-Z0-9_]*)")


def _read_po(path):
    with open(path, "rb") as fileobj:
        return read_po(fileobj)


@pytest.fixture(scope="module")
def extracted_msgids():
    """The msgids a fresh `make catalogs` would put in ggzy.pot: babel.cfg over the working tree, as pybabel walks it."""
    with open(ROOT / "babel.cfg") as fileobj:
        method_map, options_map = parse_mapping_cfg(fileobj, "babel.cfg")
    msgids = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        ROOT,
        method_map,
        options_map,
        keywords={"_": None},
        comment_tags=("TRANSLATORS:",),
    ):
        msgids.add(message[0] if isinstance(message, (list, tuple)) else message)
    return msgids


@pytest.fixture
def locale_copy(tmp_path):
    """The committed .po files in a scratch trading/locale, so compiling writes nothing in the working tree."""
    target = tmp_path / "locale"
    shutil.copytree(LOCALE_DIR, target, ignore=shutil.ignore_patterns("*.mo", ".*.tmp"))
    return target


def test_extraction_reads_the_python_plugins_and_templates(extracted_msgids):
    assert "The username or password is wrong." in extracted_msgids  # trading/errors.py
    assert "Open tendering" in extracted_msgids  # plugins/tendering
    assert "Skip to content" in extracted_msgids  # trading/templates/base.jinja2
    assert {"admin", "tendering", "sealed"} <= extracted_msgids  # catalogs.EXTRA_MSGIDS


def test_every_extracted_message_has_a_chinese_translation(extracted_msgids):
    catalog = _read_po(LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "ggzy.po")
    missing = sorted(
        msgid for msgid in extracted_msgids
        if (msgid not in catalog) or not catalog[msgid].string or catalog[msgid].fuzzy
    )
    assert not missing, (
        f"{len(missing)} message(s) lack a reviewed (non-empty, non-fuzzy) translation in "
        "trading/locale/zh_CN/LC_MESSAGES/ggzy.po; run `make catalogs` and translate them:\n"
        + "\n".join(f"  {msgid!r}" for msgid in missing)
    )


def test_chinese_translations_keep_the_placeholders_of_their_msgid():
    catalog = _read_po(LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "ggzy.po")
    wrong = {
        message.id: (sorted(set(PLACEHOLDER.findall(message.id))), sorted(set(PLACEHOLDER.findall(message.string))))
        for message in catalog
        if message.id and message.string
        and set(PLACEHOLDER.findall(message.id)) != set(PLACEHOLDER.findall(message.string))
    }
    assert not wrong, "msgid placeholders vs msgstr placeholders:\n" + "\n".join(
        f"  {msgid!r}: {expected} vs {found}" for msgid, (expected, found) in wrong.items()
    )


def test_compiled_catalogs_translate_into_chinese_through_pyramid(locale_copy):
    compiled = catalogs.compile_catalogs(locale_dir=locale_copy)

    assert sorted(compiled) == sorted(locale_copy.glob("*/LC_MESSAGES/ggzy.mo"))
    assert {path.parent.parent.name for path in compiled} == {"zh_CN", "en"}
    localizer = make_localizer("zh_CN", [str(locale_copy)])
    assert localizer.translate(_("Log in")) == "登录"
    assert localizer.translate(_("bidder")) == "投标人"
    assert localizer.translate(_("The username ${username} is taken.", mapping={"username": "zhangsan"})) == (
        "用户名 zhangsan 已被占用。"
    )


def test_english_catalog_names_the_codes_and_leaves_sentences_to_the_msgid(locale_copy):
    catalogs.compile_catalogs(locale_dir=locale_copy)

    localizer = make_localizer("en", [str(locale_copy)])
    assert localizer.translate(_("inspector")) == "Inspector"
    assert localizer.translate(_("procurement")) == "Government procurement"
    assert localizer.translate(_("Log in")) == "Log in"


def test_compiling_skips_up_to_date_catalogs_unless_forced(locale_copy):
    assert len(catalogs.compile_catalogs(locale_dir=locale_copy)) == 2

    assert catalogs.compile_catalogs(locale_dir=locale_copy) == []
    assert len(catalogs.compile_catalogs(force=True, locale_dir=locale_copy)) == 2

    po_path = locale_copy / "zh_CN" / "LC_MESSAGES" / "ggzy.po"
    mo_mtime = po_path.with_suffix(".mo").stat().st_mtime
    os.utime(po_path, (mo_mtime + 10, mo_mtime + 10))
    assert catalogs.compile_catalogs(locale_dir=locale_copy) == [po_path.with_suffix(".mo")]


def test_fuzzy_and_empty_translations_are_reported_and_not_compiled(locale_copy):
    po_path = locale_copy / "zh_CN" / "LC_MESSAGES" / "ggzy.po"
    catalog = _read_po(po_path)
    catalog["Log in"].flags.add("fuzzy")
    catalog["Log out"].string = ""
    with open(po_path, "wb") as fileobj:
        write_po(fileobj, catalog, width=None)

    assert catalogs.missing_translations("zh_CN", locale_dir=locale_copy) == ["Log in", "Log out"]
    catalogs.compile_catalogs(locale_dir=locale_copy)
    localizer = make_localizer("zh_CN", [str(locale_copy)])
    assert localizer.translate(_("Log in")) == "Log in"
    assert localizer.translate(_("Log out")) == "Log out"
    assert localizer.translate(_("Password")) == "密码"


def test_check_exits_1_listing_the_missing_chinese_translations(locale_copy, monkeypatch, capsys):
    monkeypatch.setattr(catalogs, "LOCALE_DIR", locale_copy)
    assert catalogs.main(["--check"]) == 0

    po_path = locale_copy / "zh_CN" / "LC_MESSAGES" / "ggzy.po"
    catalog = _read_po(po_path)
    catalog["Username"].string = ""
    with open(po_path, "wb") as fileobj:
        write_po(fileobj, catalog, width=None)

    assert catalogs.main(["--check"]) == 1
    assert "'Username'" in capsys.readouterr().err
    assert list(locale_copy.glob("*/LC_MESSAGES/*.mo")) == []
