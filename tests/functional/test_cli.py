"""The `ggzy` command and pserve, run as the acceptance suite runs them: on a copy of development.ini."""
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.slow


def ggzy(*args, stdin=None, check=True):
    result = subprocess.run([str(BIN / "ggzy"), *map(str, args)], input=stdin, capture_output=True, text=True,
                            timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"ggzy {args[0]} exited {result.returncode}: {result.stderr}")
    return result


@pytest.fixture(scope="module")
def ini(tmp_path_factory):
    folder = tmp_path_factory.mktemp("site")
    text = (ROOT / "development.ini").read_text(encoding="utf-8")
    text = text.replace("listen = localhost:6543", f"listen = 127.0.0.1:{free_port()}")
    path = folder / "development.ini"
    path.write_text(text, encoding="utf-8")
    (folder / "var").mkdir()
    ggzy("initdb", path)
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_initdb_is_safe_to_run_again(ini):
    ggzy("initdb", ini)


def test_create_user_reads_the_password_from_stdin(ini):
    out = ggzy("create-user", ini, "--username", "cli-admin", "--role", "admin", "--password-stdin",
               stdin="a long password\n")
    assert json.loads(out.stdout)["role"] == "admin"
    again = ggzy("create-user", ini, "--username", "cli-admin", "--role", "admin", "--password-stdin",
                 stdin="a long password\n", check=False)
    assert again.returncode == 1 and "user.exists" in again.stderr


def test_create_user_refuses_a_weak_password(ini):
    out = ggzy("create-user", ini, "--username", "weak", "--role", "officer", "--password-stdin", stdin="short\n",
               check=False)
    assert out.returncode == 1 and "auth.password_weak" in out.stderr


def test_demo_prints_a_login_for_each_role(ini):
    out = ggzy("demo", ini).stdout
    for role in ("admin", "officer", "bidder", "expert", "inspector"):
        assert f"  {role} " in out
    assert ggzy("demo", ini).stdout == out  # loading twice changes nothing


def test_sweep_runs_and_exits(ini):
    assert "transition(s) applied" in ggzy("sweep", ini).stdout


def test_audit_verify_exits_1_when_a_row_was_changed(ini, tmp_path):
    assert ggzy("audit-verify", ini).returncode == 0
    copy = tmp_path / "development.ini"
    shutil.copytree(ini.parent / "var", tmp_path / "var")
    copy.write_text(ini.read_text(encoding="utf-8"), encoding="utf-8")
    with sqlite3.connect(tmp_path / "var" / "ggzy.sqlite") as db:
        db.execute("UPDATE audit_events SET ip = '6.6.6.6' WHERE seq = 2")
    out = ggzy("audit-verify", copy, check=False)
    assert out.returncode == 1
    assert json.loads(out.stdout.strip().splitlines()[-1])["first_bad_seq"] == 2


def test_bad_setting_stops_start_up_naming_it(ini, tmp_path):
    bad = tmp_path / "bad.ini"
    bad.write_text(ini.read_text(encoding="utf-8").replace("ggzy.clock = system", "ggzy.clock = sundial"),
                   encoding="utf-8")
    out = ggzy("sweep", bad, check=False)
    assert out.returncode == 2 and "ggzy.clock" in out.stderr


def test_pserve_serves_the_api_and_the_home_page(ini):
    ggzy("demo", ini)  # the demo logins, whichever test of the module ran first (loading twice changes nothing)
    port = next(line.split(":")[-1] for line in ini.read_text().splitlines() if line.startswith("listen"))
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    server = subprocess.Popen([str(BIN / "pserve"), str(ini)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              env=env, cwd=ini.parent)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/__heartbeat__", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        home = urllib.request.urlopen(base + "/", timeout=5).read().decode("utf-8")
        assert "<html" in home
        request = urllib.request.Request(base + "/api/v1/auth/login", method="POST",
                                         data=json.dumps({"username": "admin", "password": "ggzy-demo-2026"}).encode(),
                                         headers={"Content-Type": "application/json"})
        body = json.loads(urllib.request.urlopen(request, timeout=5).read())
        assert body["user"]["role"] == "admin"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_create_user_links_an_expert_login_to_the_pool(ini, tmp_path):
    from .experts.helpers import expert_body

    body = expert_body(901)
    columns = ("name", "id_number", "phone", "employer_name", "employer_uscc", "specialties", "region_code", "title")
    values = {**body, "specialties": ";".join(body["specialties"])}
    csv_path = tmp_path / "experts.csv"
    csv_path.write_text(",".join(columns) + "\n" + ",".join(values[c] for c in columns) + "\n", encoding="utf-8")
    ggzy("import-experts", ini, csv_path)
    with sqlite3.connect(ini.parent / "var" / "ggzy.sqlite") as db:
        expert_id = db.execute("SELECT id FROM experts WHERE id_number = ?", (body["id_number"],)).fetchone()[0]
    out = ggzy("create-user", ini, "--username", "cli-expert", "--role", "expert", "--expert-id", expert_id,
               "--password-stdin", stdin="a long password\n")
    assert json.loads(out.stdout)["expert_id"] == expert_id
    with sqlite3.connect(ini.parent / "var" / "ggzy.sqlite") as db:
        assert db.execute("SELECT expert_id FROM users WHERE username = 'cli-expert'").fetchone()[0] == expert_id
    unknown = ggzy("create-user", ini, "--username", "cli-expert2", "--role", "expert", "--expert-id", "nobody",
                   "--password-stdin", stdin="a long password\n", check=False)
    assert unknown.returncode == 1 and "no expert of the pool" in unknown.stderr
    wrong_role = ggzy("create-user", ini, "--username", "cli-officer", "--role", "officer", "--expert-id", expert_id,
                      "--password-stdin", stdin="a long password\n", check=False)
    assert wrong_role.returncode == 2 and "--role expert" in wrong_role.stderr
