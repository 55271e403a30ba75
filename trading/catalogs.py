"""Compiles the ggzy translation catalogs (.po to .mo) and lists the messages still untranslated."""
import argparse
import os
import sys
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from .i18n import _

DOMAIN = "ggzy"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

# Code values that pages translate from variables (``_(user.role)``,
# ``_(method.sector)``, ``_(project.status)``, ``_(bid.status)``, ``_(document.kind)``): listed
# here, once, so that extraction puts them in the catalogs.
EXTRA_MSGIDS = [
    # TRANSLATORS: role code (user.role): 系统管理员
    _("admin"),
    # TRANSLATORS: role code (user.role): 交易中心工作人员
    _("officer"),
    # TRANSLATORS: role code (user.role): 投标人
    _("bidder"),
    # TRANSLATORS: role code (user.role): 评标专家
    _("expert"),
    # TRANSLATORS: role code (user.role): 纪检监察员
    _("inspector"),
    # TRANSLATORS: sector code (method.sector): 工程建设
    _("tendering"),
    # TRANSLATORS: sector code (method.sector): 政府采购
    _("procurement"),
    # TRANSLATORS: sector code (method.sector): 土地使用权出让
    _("land"),
    # TRANSLATORS: sector code (method.sector): 产权交易
    _("equity"),
    # TRANSLATORS: kind of trading method (method.kind): 密封投标
    _("sealed"),
    # TRANSLATORS: kind of trading method (method.kind): 公开竞价
    _("auction"),
    # TRANSLATORS: project status: 草稿
    _("draft"),
    # TRANSLATORS: project status: 已发布公告
    _("announced"),
    # TRANSLATORS: project status: 开标中
    _("opening"),
    # TRANSLATORS: project or lot status: 评标中
    _("evaluating"),
    # TRANSLATORS: project or lot status: 公示中
    _("publicity"),
    # TRANSLATORS: project or lot status: 已定标/已成交
    _("awarded"),
    # TRANSLATORS: project or lot status: 已签合同
    _("contracted"),
    # TRANSLATORS: project or lot status: 流标/流拍
    _("failed"),
    # TRANSLATORS: project status: 已终止
    _("terminated"),
    # TRANSLATORS: lot status at the opening: 开标
    _("open"),
    # TRANSLATORS: bid status: 已解密
    _("opened"),
    # TRANSLATORS: bid status: 报价超过最高限价
    _("above_ceiling"),
    # TRANSLATORS: bid status: 解密失败
    _("decrypt_failed"),
    # TRANSLATORS: bid status: 已被替换
    _("superseded"),
    # TRANSLATORS: bid status: 已撤回
    _("withdrawn"),
    # TRANSLATORS: document kind: 招标文件
    _("tender"),
    # TRANSLATORS: document kind: 澄清文件
    _("clarification"),
    # TRANSLATORS: document kind: 其他
    _("other"),
    # TRANSLATORS: policy sector: 综合
    _("general"),
    # TRANSLATORS: registration status: 待缴保证金
    _("pending_deposit"),
    # TRANSLATORS: registration status: 已具备投标资格
    _("qualified"),
]


def _po_files(locale_dir):
    return sorted(Path(locale_dir).glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def _read(po_path):
    with open(po_path, "rb") as fileobj:
        return read_po(fileobj)


def compile_catalogs(force=False, locale_dir=None):
    """Compile each <locale>/LC_MESSAGES/ggzy.po whose .mo is missing or older (every one if force).

    Fuzzy and untranslated entries stay out of the .mo, so those messages show
    in English. Each .mo is replaced atomically, as running processes may read
    it. Returns the paths of the .mo files written.
    """
    compiled = []
    for po_path in _po_files(locale_dir or LOCALE_DIR):
        mo_path = po_path.with_suffix(".mo")
        if not force and mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        catalog = _read(po_path)
        fd, tmp_name = tempfile.mkstemp(dir=mo_path.parent, prefix=f".{DOMAIN}.", suffix=".mo.tmp")
        try:
            with os.fdopen(fd, "wb") as fileobj:
                write_mo(fileobj, catalog, use_fuzzy=False)
            os.chmod(tmp_name, 0o644)
            os.replace(tmp_name, mo_path)
        except BaseException:
            os.unlink(tmp_name)
            raise
        compiled.append(mo_path)
    return compiled


def missing_translations(locale="zh_CN", locale_dir=None):
    """The msgids of the locale's ggzy.po (header excluded) that are untranslated or fuzzy."""
    po_path = Path(locale_dir or LOCALE_DIR) / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    missing = []
    for message in _read(po_path):
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
        if message.fuzzy or not all(strings):
            missing.append(message.id)
    return missing


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m trading.catalogs",
        description="Compile the ggzy .po catalogs under trading/locale into the .mo files Pyramid loads.",
    )
    parser.add_argument("--force", action="store_true", help="compile every catalog, even when its .mo is up to date")
    parser.add_argument(
        "--check",
        action="store_true",
        help="compile nothing; list the untranslated or fuzzy messages of --locale and exit 1 if there are any",
    )
    parser.add_argument("--locale", default="zh_CN", help="the catalog --check looks at (default: zh_CN)")
    args = parser.parse_args(argv)

    if args.check:
        missing = missing_translations(args.locale)
        if missing:
            print(f"{len(missing)} {args.locale} message(s) untranslated or fuzzy:", file=sys.stderr)
            for msgid in missing:
                print(f"  {msgid!r}", file=sys.stderr)
            return 1
        print(f"{args.locale}: every message is translated.")
        return 0

    compiled = compile_catalogs(force=args.force)
    for path in compiled:
        print(f"compiled {path}")
    if not compiled:
        print("catalogs up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
