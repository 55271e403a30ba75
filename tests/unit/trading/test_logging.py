"""What the platform logs reaches the operator with the shipped ini files."""
import configparser
import logging
from pathlib import Path

import pytest

from trading import cli, scheduler, tweens

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("ini", ["development.ini", "production.ini"])
@pytest.mark.parametrize("module", [cli, scheduler, tweens])
def test_the_info_messages_of_the_processes_are_under_a_logger_the_ini_sets_to_info(ini, module):
    parser = configparser.ConfigParser()
    parser.read(ROOT / ini, encoding="utf-8")
    at_info = [parser[f"logger_{key.strip()}"].get("qualname", "") for key in parser["loggers"]["keys"].split(",")
               if parser[f"logger_{key.strip()}"]["level"] in ("INFO", "DEBUG")]
    name = module.log.name
    assert any(name == q or name.startswith(q + ".") for q in at_info if q), (name, at_info)
    assert logging.getLevelName(parser["logger_root"]["level"]) >= logging.INFO
