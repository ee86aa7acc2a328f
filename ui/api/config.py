"""The ``[agent]`` table of a terminal's TOML config: where the agent listens, each POS's
token, and which of kassa's own devices it runs (README, "Any POS: the agent API")."""

from __future__ import annotations

import hashlib
import hmac
import math
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.errors import ConfigError
from ui.config import Config, parse_config

DEFAULT_PORT = 8710
MIN_TOKEN_CHARS = 22  # 128 bits of URL-safe characters, as HQ asks of a terminal's secret
# Bits a token's own characters carry at least (their Shannon entropy times its length,
# over one period of a token that repeats itself): a random token of MIN_TOKEN_CHARS
# URL-safe characters carries about 90; "aaaa…" none, "abcdabcd…" 8.
MIN_TOKEN_BITS = 56


@dataclass(frozen=True, slots=True)
class AgentConfig:
    terminal: Config  # the till: store, HQ, scanner, camera, printer, language
    port: int = DEFAULT_PORT  # on 127.0.0.1 only; 0: no TCP port (the socket alone)
    socket: Path | None = None  # a Unix socket as well
    tokens: tuple[tuple[str, str], ...] = ()  # (POS name, its token)
    scanner: bool = False  # run kassa's own scanner ([scanner]) and stream its scans
    camera: bool = False  # run kassa's own camera ([camera]) and stream its scans
    printer: bool = False  # print each committed sale's receipt on kassa's own printer

    def pos_of(self, token: str) -> str | None:
        """The POS whose token ``token`` is, or None; every token is compared, each in
        constant time (digests of equal length), so the time says nothing of either."""
        given = hashlib.sha256(token.encode()).digest()
        found = None
        for name, secret in self.tokens:
            if hmac.compare_digest(given, hashlib.sha256(secret.encode()).digest()):
                found = name
        return found


def token_bits(token: str) -> float:
    """The bits ``token``'s characters carry: the Shannon entropy of its characters times
    its length, counted over one period of a token that repeats itself ("abcabc…")."""
    n = (
        next(
            p
            for p in range(1, len(token) + 1)
            if all(token[i] == token[i - p] for i in range(p, len(token)))
        )
        if token
        else 0
    )
    counts = Counter(token[:n])
    return -sum(k * math.log2(k / n) for k in counts.values())


def _tokens(section: dict[str, Any], base: Path) -> tuple[tuple[str, str], ...]:
    table = section.get("tokens", {})
    if not isinstance(table, dict):
        raise ConfigError("agent.tokens: a table of POS name = token")
    pairs = [(str(k), v) for k, v in table.items()]
    path = section.get("tokens_file")
    if path:
        file = base / str(path)
        try:
            lines = file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ConfigError(f"agent.tokens_file: {exc}") from None
        for n, line in enumerate(lines, 1):
            text = line.split("#", 1)[0].strip()
            if not text:
                continue
            name, _, token = text.partition(" ")
            if not token.strip():
                raise ConfigError(f"{file}:{n}: a line is a POS name, a space and its token")
            pairs.append((name, token.strip()))
    make = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
    for name, token in pairs:
        if not isinstance(token, str) or len(token) < MIN_TOKEN_CHARS:
            raise ConfigError(
                f"agent.tokens.{name}: at least {MIN_TOKEN_CHARS} characters ({make})"
            )
        if token_bits(token) < MIN_TOKEN_BITS:
            raise ConfigError(
                f"agent.tokens.{name}: too guessable (a character or a pattern repeated): "
                f"a random token, e.g. {make}"
            )
    if len({name for name, _ in pairs}) != len(pairs):
        raise ConfigError("agent.tokens: each POS once")
    if not pairs:
        raise ConfigError("agent.tokens: at least one POS's token (or agent.tokens_file)")
    return tuple(pairs)


def parse_agent(doc: dict[str, Any], base: Path) -> AgentConfig:
    """The agent's config from parsed TOML (relative paths from ``base``)."""
    terminal = parse_config(doc, base)
    section = doc.get("agent", {})
    if not isinstance(section, dict):
        raise ConfigError("[agent] must be a table")
    port = section.get("port", DEFAULT_PORT)
    if not isinstance(port, int) or not 0 <= port <= 65535:
        raise ConfigError("agent.port: 0 to 65535 (0: the Unix socket alone)")
    sock = section.get("socket")
    if port == 0 and not sock:
        raise ConfigError("agent.socket: needed when agent.port is 0")
    flags = {}
    for name in ("scanner", "camera", "printer"):
        flags[name] = section.get(name, False)
        if not isinstance(flags[name], bool):
            raise ConfigError(f"agent.{name}: true or false")
    return AgentConfig(
        terminal=terminal,
        port=port,
        socket=base / str(sock) if sock else None,
        tokens=_tokens(section, base),
        **flags,
    )


def load_agent_config(path: Path) -> AgentConfig:
    """Read the agent's TOML config at ``path``; raises ConfigError."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return parse_agent(doc, path.parent)
