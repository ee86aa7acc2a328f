"""The .deb's files say what kassa understands: the units run commands the `kassa` parser
takes, with the configs the package writes to /etc/kassa, and those configs load (paths
absolute, into /var/lib/kassa and /run/kassa, where the units may write)."""

from __future__ import annotations

import configparser
import secrets
import shlex
from pathlib import Path

import pytest

from tests.conftest import ROOT
from ui.api.config import load_agent_config
from ui.cli import build_parser
from ui.config import load_config

DEB = ROOT / "packaging" / "deb"
UNITS = sorted(DEB.glob("*.service"))
WRITABLE = ("/var/lib/kassa/", "/run/kassa/")


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path, encoding="utf-8")
    return parser


def hq_env() -> dict[str, str]:
    lines = (DEB / "etc" / "hq.env").read_text(encoding="utf-8").splitlines()
    pairs = (ln.split("=", 1) for ln in lines if ln and not ln.startswith("#"))
    return {k: v for k, v in pairs}


def test_the_package_has_the_three_units() -> None:
    assert [u.name for u in UNITS] == [
        "kassa-agent.service",
        "kassa-hq.service",
        "kassa-till@.service",
    ]


@pytest.mark.parametrize("path", UNITS, ids=[u.name for u in UNITS])
def test_each_unit_runs_a_kassa_command_as_the_kassa_user_confined(path: Path) -> None:
    service = unit(path)["Service"]
    assert service["User"] == service["Group"] == "kassa"
    assert service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] == "strict"
    assert service["ReadWritePaths"] == "/var/lib/kassa"
    assert service["PrivateTmp"] == "yes"
    assert "StandardOutput" not in service or path.name.startswith("kassa-till@")
    argv = shlex.split(service["ExecStart"])
    assert argv[0] == "/usr/bin/kassa"
    env = hq_env()
    argv = [a.replace("${", "{").format(**env) if "${" in a else a for a in argv]
    argv = [w for a in argv for w in (a[1:] and env[a[1:]].split() if a.startswith("$") else [a])]
    args = build_parser().parse_args(argv[1:])  # exits (SystemExit) on a wrong option
    assert callable(args.func)


def test_the_till_owns_its_console_and_restarts_always() -> None:
    service = unit(DEB / "kassa-till@.service")["Service"]
    assert service["TTYPath"] == "/dev/%I"
    assert service["Restart"] == "always"
    assert "dialout" in service["SupplementaryGroups"].split()


def test_the_configs_the_package_writes_load_with_paths_the_units_may_write(
    tmp_path: Path,
) -> None:
    till = load_config(DEB / "etc" / "kassa.toml")
    assert str(till.data_dir).startswith(WRITABLE)
    assert till.printer.target.startswith(WRITABLE)
    assert till.hq.public_key == str(DEB / "etc" / "hq.pub")  # /etc/kassa/hq.pub, installed
    # The agent's config names /etc/kassa/agent-tokens (postinst writes it): here, beside
    # a copy, a token file as postinst writes it.
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "agent.toml").write_bytes((DEB / "etc" / "agent.toml").read_bytes())
    token = secrets.token_urlsafe(32)  # as postinst makes it
    (etc / "agent-tokens").write_text(f"# comment\npos1 {token}\n", encoding="utf-8")
    agent = load_agent_config(etc / "agent.toml")
    assert str(agent.terminal.data_dir) == str(till.data_dir)  # one terminal, either way
    assert str(agent.socket).startswith(WRITABLE)
    assert [name for name, _ in agent.tokens] == ["pos1"]
    assert hq_env()["KASSA_HQ_DB"].startswith(WRITABLE)
