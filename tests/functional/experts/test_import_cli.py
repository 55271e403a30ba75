"""`ggzy import-experts INI FILE`, run as an administrator runs it: on a scratch copy of development.ini."""
import io
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook

from .helpers import id_number

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
HEADER = ["name", "id_number", "phone", "employer_name", "employer_uscc", "specialties", "region_code", "title"]

pytestmark = pytest.mark.slow


def ggzy(*args):
    # bytes, decoded by hand: text mode would turn the progress bar's \r into \n
    result = subprocess.run([str(BIN / "ggzy"), *map(str, args)], capture_output=True, timeout=120,
                            check=False)
    return subprocess.CompletedProcess(result.args, result.returncode, result.stdout.decode("utf-8"),
                                       result.stderr.decode("utf-8"))


@pytest.fixture(scope="module")
def ini(tmp_path_factory):
    folder = tmp_path_factory.mktemp("site")
    text = (ROOT / "development.ini").read_text(encoding="utf-8")
    # English messages: the report's wording stays what this test reads, whatever the catalogs say
    text = text.replace("ggzy.default_locale = zh_CN", "ggzy.default_locale = en")
    path = folder / "development.ini"
    path.write_text(text, encoding="utf-8")
    (folder / "var").mkdir()
    result = ggzy("initdb", path)
    assert result.returncode == 0, result.stderr
    return path


def experts_in(ini):
    with sqlite3.connect(ini.parent / "var" / "ggzy.sqlite") as db:
        return dict(db.execute("SELECT id_number, name FROM experts").fetchall())


def row(name, serial, specialties="A0101"):
    return [name, id_number(serial=serial, region="330106"), f"1390000{serial:04d}", "甲设计院", "", specialties,
            "330100", "高级工程师"]


def test_a_bad_row_is_reported_by_number_and_the_good_rows_are_imported(ini, tmp_path):
    rows = [row("张三", 101), row("李四", 102), row("王五", 103, "A0101;Z9"), row("赵六", 104, "B0101;A0104")]
    rows[1][1] = rows[1][1][:-1] + ("0" if rows[1][1][-1] != "0" else "1")  # a wrong check character
    path = tmp_path / "experts.csv"
    path.write_text("\n".join(",".join(r) for r in [HEADER, *rows]) + "\n", encoding="utf-8")

    result = ggzy("import-experts", ini, path)

    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Experts created: 2, updated: 0, rows refused: 2."
    assert lines[1].startswith("row 2: The identity number ") and "not valid" in lines[1]
    assert lines[2] == "row 3: Unknown specialty codes: Z9."
    assert result.stderr.endswith("\r[##############################] 4/4\n")
    imported = experts_in(ini)
    assert imported[rows[0][1]] == "张三" and imported[rows[3][1]] == "赵六"
    assert rows[1][1] not in imported and rows[2][1] not in imported
    verify = ggzy("audit-verify", ini)
    assert verify.returncode == 0 and json.loads(verify.stdout)["ok"]
    with sqlite3.connect(ini.parent / "var" / "ggzy.sqlite") as db:
        summary = db.execute("SELECT data FROM audit_events WHERE action = 'expert.import_summary' "
                             "ORDER BY seq DESC LIMIT 1").fetchone()[0]
    assert json.loads(summary) == {"created": 2, "updated": 0, "errors": 2}


def test_an_xlsx_file_imports_and_a_second_import_updates(ini, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(row("钱七", 201, "C0101"))
    sheet.append(row("孙八", 202, "C0102；C0101"))
    data = io.BytesIO()
    book.save(data)
    path = tmp_path / "experts.xlsx"
    path.write_bytes(data.getvalue())

    first = ggzy("import-experts", ini, path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == ["Experts created: 2, updated: 0, rows refused: 0."]
    second = ggzy("import-experts", ini, path)
    assert second.returncode == 0
    assert second.stdout.splitlines() == ["Experts created: 0, updated: 2, rows refused: 0."]
    assert experts_in(ini)[row("孙八", 202)[1]] == "孙八"


@pytest.mark.parametrize("name, content", [
    ("missing.csv", None),
    ("no-header.csv", b"foo,bar\n1,2\n"),
    ("latin1.csv", ",".join(HEADER).encode() + "\nJos\xe9,1,,,,A0101,,\n".encode("latin-1")),
    ("broken.xlsx", b"PK\x03\x04 not really a workbook"),
])
def test_an_unreadable_file_exits_2_and_imports_nothing(ini, tmp_path, name, content):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    before = experts_in(ini)
    result = ggzy("import-experts", ini, path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines()[-1].startswith(f"ggzy import-experts: {path}: ")
    assert experts_in(ini) == before


def test_help_states_the_exit_statuses():
    text = ggzy("import-experts", "--help").stdout
    assert "0 when every row was imported" in text and "1 when any row was refused" in text
