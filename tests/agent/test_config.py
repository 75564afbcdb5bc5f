"""The agent config: a broken file names the key, its line and what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.config import ConfigError, load_config
from tests.agent.sale.world import write_config

ROOT = Path(__file__).resolve().parents[2]


def test_the_example_file_is_valid_and_documents_every_section() -> None:
    config = load_config(ROOT / "config" / "agent.example.toml")
    assert config.terminal.store == "loja-01"
    assert config.server.timeout_seconds == 10


def test_a_bad_value_names_the_key_and_its_line(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    text = path.read_text().replace("timeout_seconds = 2", "timeout_seconds = -1")
    path.write_text(text)
    line = text.splitlines().index("timeout_seconds = -1") + 1
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert f"server.timeout_seconds (line {line})" in err.value.message_en
    assert "greater than 0" in err.value.message_en


def test_an_unknown_key_is_refused(tmp_path: Path) -> None:
    path = write_config(tmp_path, terminal='store = "LOJA-01"\nstroe = "x"\n')
    with pytest.raises(ConfigError, match=r"terminal\.stroe \(line \d+\): unknown key"):
        load_config(path)


def test_a_missing_section_is_named(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace("[storage]", "[storage_old]"))
    with pytest.raises(ConfigError, match="storage"):
        load_config(path)


def test_broken_toml_gives_the_line(tmp_path: Path) -> None:
    path = tmp_path / "agent.toml"
    path.write_text('[server]\nurl = "http://x\n')
    with pytest.raises(ConfigError, match="line 2"):
        load_config(path)


def test_bad_store_id_and_time_zone(tmp_path: Path) -> None:
    path = write_config(tmp_path, terminal='store = "loja 01"\n')
    with pytest.raises(ConfigError, match=r"terminal\.store"):
        load_config(path)
    path = write_config(tmp_path, terminal='store = "L1"\ntimezone = "Mars/Olympus"\n')
    with pytest.raises(ConfigError, match="unknown time zone"):
        load_config(path)


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read agent config"):
        load_config(tmp_path / "nope.toml")
