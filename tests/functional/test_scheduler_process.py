"""The scheduler as its own process ends a live auction to the second, with no request arriving."""
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def test_scheduler_process_applies_a_deadline_within_two_seconds(tmp_path):
    ini = tmp_path / "development.ini"
    ini.write_text((ROOT / "development.ini").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "var").mkdir()
    subprocess.run([str(BIN / "ggzy"), "initdb", str(ini)], check=True, capture_output=True, timeout=120)
    engine = create_engine(f"sqlite:///{tmp_path / 'var' / 'ggzy.sqlite'}")
    due = datetime.now(timezone.utc) + timedelta(seconds=4)
    with engine.begin() as connection:
        # a deadline nobody handles: the sweep marks it done with "no handler", which is all this test needs
        connection.execute(text("INSERT INTO deadlines (id, name, at) VALUES ('t1', 'test.nobody', :at)"),
                           {"at": due.replace(tzinfo=None).isoformat(sep=" ")})
    process = subprocess.Popen([str(BIN / "ggzy"), "scheduler", str(ini)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        done_at = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and done_at is None:
            time.sleep(0.2)
            with engine.connect() as connection:
                done_at = connection.execute(text("SELECT done_at FROM deadlines WHERE id = 't1'")).scalar()
        assert done_at is not None, "the scheduler never applied the deadline"
        applied = datetime.fromisoformat(str(done_at)).replace(tzinfo=timezone.utc)
        assert timedelta(0) <= applied - due < timedelta(seconds=2)
    finally:
        process.terminate()
        process.wait(timeout=10)
        engine.dispose()
