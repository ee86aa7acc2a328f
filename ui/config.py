"""The terminal's TOML configuration (documented in the README)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.errors import ConfigError
from agent.i18n import LANGUAGES
from agent.tokens import TokenPolicy
from drivers.camera import CameraConfig
from drivers.keymap import LAYOUTS
from drivers.printer import PrinterConfig, PrinterKind
from drivers.serial_scanner import PARITIES, TERMINATORS, ScannerConfig

DEFAULT_HQ_URL = "http://127.0.0.1:8700"


@dataclass(frozen=True, slots=True)
class HqConfig:
    url: str = DEFAULT_HQ_URL
    secret: str = ""
    public_key: str = ""  # HQ's Ed25519 public key: hex, or the path of HQ's .pub file
    timeout_s: float = 5.0
    lookup_timeout_s: float = 1.0  # a card the till does not hold, asked of HQ (issue 15)
    foreign_timeout_s: float = 2.0  # another till's sale (a return's), asked of HQ
    batch_size: int = 200
    interval_s: float = 2.0
    poll_every_s: float = 10.0  # how often HQ is asked what changed (issue 15)
    max_skew_s: float = 120.0  # warn (and record both) when this clock is further off HQ's
    backoff_max_s: float = 30.0  # the longest wait between failed sync rounds


@dataclass(frozen=True, slots=True)
class Config:
    terminal_id: str
    data_dir: Path
    store_name: str = "kassa"
    language: str = "en"  # the screens' language: en, ru, pl or ro (a cashier's may differ)
    high_contrast: bool = False  # black, white and yellow (Ctrl+T switches)
    hq: HqConfig = field(default_factory=HqConfig)
    scanner: ScannerConfig = field(default_factory=ScannerConfig)
    printer: PrinterConfig = field(default_factory=PrinterConfig)
    tokens: TokenPolicy = field(default_factory=TokenPolicy)
    camera: CameraConfig = field(default_factory=CameraConfig)

    @property
    def db_path(self) -> Path:
        return self.data_dir / "terminal.db"


def _section(doc: dict[str, Any], name: str) -> dict[str, Any]:
    value = doc.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{name}] must be a table")
    return value


def _positive(section: dict[str, Any], key: str, default: float) -> float:
    value = float(section.get(key, default))
    if not 0 < value <= 86400:
        raise ConfigError(f"hq.{key}: seconds above 0, at most a day")
    return value


def _fraction(section: dict[str, Any], key: str, default: float) -> float:
    value = float(section.get(key, default))
    if not 0 <= value < 1:
        raise ConfigError(f"camera.{key}: a share of the camera's time, 0 (off) to below 1")
    return value


def _camera_slot(section: dict[str, Any]) -> float:
    value = float(section.get("retry_s", 0.1))
    if not 0 < value <= 5:
        raise ConfigError("camera.retry_s: seconds above 0, at most 5")
    return value


def _relative(key: str, base: Path) -> str:
    """A key given as a file path is read from the config's folder; hex stays as it is."""
    if not key or (len(key) == 64 and all(c in "0123456789abcdefABCDEF" for c in key)):
        return key
    return str(base / key)


def parse_config(doc: dict[str, Any], base: Path) -> Config:
    """Build a Config from parsed TOML; relative paths are taken from ``base``."""
    try:
        terminal_id = str(doc["terminal_id"])
        data_dir = base / str(doc.get("data_dir", "data"))
        hq, sc, pr = _section(doc, "hq"), _section(doc, "scanner"), _section(doc, "printer")
        ident, cam = _section(doc, "identify"), _section(doc, "camera")
        language = str(doc.get("language", "en"))
        if language not in LANGUAGES:
            raise ConfigError(f"language: one of {', '.join(LANGUAGES)}")
        terminator = str(sc.get("terminator", "CR")).upper()
        if terminator not in TERMINATORS:
            raise ConfigError(f"scanner.terminator: one of {', '.join(TERMINATORS)}")
        layout = str(sc.get("layout", "us")).lower()
        if layout not in LAYOUTS:
            raise ConfigError(f"scanner.layout: one of {', '.join(sorted(LAYOUTS))}")
        parity = str(sc.get("parity", "N")).upper()
        if parity not in PARITIES:
            raise ConfigError(f"scanner.parity: one of {', '.join(PARITIES)}")
        kind = PrinterKind(str(pr.get("kind", "file")))
        target = str(pr.get("target", "receipts/last.bin"))
        if kind is PrinterKind.FILE:
            target = str(data_dir / target)
        return Config(
            terminal_id=terminal_id,
            data_dir=data_dir,
            store_name=str(doc.get("store_name", "kassa")),
            language=language,
            high_contrast=bool(doc.get("high_contrast", False)),
            hq=HqConfig(
                url=str(hq.get("url", DEFAULT_HQ_URL)),
                secret=str(hq.get("secret", "")),
                public_key=_relative(str(hq.get("public_key", "")), base),
                timeout_s=float(hq.get("timeout_s", 5.0)),
                lookup_timeout_s=float(hq.get("lookup_timeout_s", 1.0)),
                foreign_timeout_s=_positive(hq, "foreign_timeout_s", 2.0),
                batch_size=int(hq.get("batch_size", 200)),
                interval_s=float(hq.get("interval_s", 2.0)),
                poll_every_s=_positive(hq, "poll_every_s", 10.0),
                max_skew_s=float(hq.get("max_skew_s", 120.0)),
                backoff_max_s=float(hq.get("backoff_max_s", 30.0)),
            ),
            scanner=ScannerConfig(
                url=str(sc.get("url", "")),
                baudrate=int(sc.get("baudrate", 9600)),
                parity=parity,
                terminator=TERMINATORS[terminator],
                inter_char_timeout_s=float(sc.get("inter_char_timeout_s", 0.05)),
                prefix=str(sc.get("prefix", "")),
                aim=bool(sc.get("aim", False)),
                evdev=str(sc.get("evdev", "")),
                layout=layout,
                grab=bool(sc.get("grab", True)),
            ),
            printer=PrinterConfig(
                kind=kind,
                target=target,
                width_chars=int(pr.get("width_chars", 42)),
                profile=str(pr.get("profile", "default")),
                baudrate=int(pr.get("baudrate", 9600)),
                code_page=str(pr.get("code_page", "")),
                code_page_slots=tuple(
                    (str(k), int(v)) for k, v in _section(pr, "code_page_slots").items()
                ),
            ),
            camera=CameraConfig(
                source=str(cam.get("source", "")),
                repeat_s=float(cam.get("repeat_s", 3.0)),
                retry_share=_fraction(cam, "retry_share", 0.25),
                retry_s=_camera_slot(cam),
            ),
            tokens=TokenPolicy(
                lifetime_s=int(ident.get("token_lifetime_s", 120)),
                skew_s=int(ident.get("token_skew_s", 30)),
            ),
        )
    except KeyError as exc:
        raise ConfigError(f"missing {exc.args[0]}") from None
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def load_config(path: Path) -> Config:
    """Read and validate the TOML config at ``path``; raises ConfigError."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return parse_config(doc, path.parent)


def require_private(path: Path, config: Config) -> None:
    """Refuse a config that holds the terminal's HQ secret and is readable by every user of
    the machine (as ssh refuses a key): raises ConfigError saying what to run."""
    if not (config.hq and config.hq.secret):
        return
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    if mode & 0o007:
        raise ConfigError(
            f"{path} holds the terminal's HQ secret and every user here can read it: "
            f"chmod 600 {path} (or chmod 640 and chgrp kassa)"
        )
