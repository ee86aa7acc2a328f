"""`kassa devices` and `kassa printer test`: what hardware the till sees, and a test page."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from agent.errors import KassaError
from agent.receipt import Receipt, ReceiptLine, Style

TEST_LINES = (
    ("en", "Thank you! Points balance"),
    ("ru", "Спасибо за покупку! Баланс баллов"),
    ("pl", "Dziękujemy! Saldo punktów: żółć"),
    ("ro", "Mulțumim! Soldul punctelor: ș ț ă î â"),
)


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    d = sub.add_parser("devices", help="list serial ports, cameras and the configured devices")
    d.add_argument("--config", help="a terminal's TOML config: adds its scanner and printer")
    d.add_argument("--json", action="store_true")
    d.set_defaults(func=run_devices)
    pr = sub.add_parser("printer", help="the receipt printer")
    pr_sub = pr.add_subparsers(dest="printer_cmd", required=True)
    t = pr_sub.add_parser("test", help="print a test page: every language and a QR code")
    t.add_argument("--config", required=True)
    t.set_defaults(func=run_printer_test)


def test_page(width: int) -> Receipt:
    lines = [ReceiptLine("kassa printer test", Style.TITLE), ReceiptLine("", Style.RULE)]
    for lang, text in TEST_LINES:
        lines.append(ReceiptLine(f"[{lang}] {text}"))
    lines += [
        ReceiptLine("", Style.RULE),
        ReceiptLine("Bold line", Style.BOLD, right="123.45"),
        ReceiptLine("x" * width),
    ]
    return Receipt(tuple(lines), qr="kassa printer test")


def cameras() -> list[str]:
    return sorted(str(p) for p in Path("/dev").glob("video*"))


def serial_ports() -> list[dict[str, str]]:
    from serial.tools import list_ports

    return [
        {"device": p.device, "description": p.description, "hwid": p.hwid}
        for p in sorted(list_ports.comports(), key=lambda p: p.device)
    ]


def survey(config_path: str | None) -> dict[str, Any]:
    from drivers.printer import EscposPrinter

    found: dict[str, Any] = {"serial_ports": serial_ports(), "cameras": cameras()}
    if config_path:
        from ui.config import load_config

        cfg = load_config(Path(config_path))
        found["scanner"] = {"url": cfg.scanner.url or "keyboard wedge"}
        st = EscposPrinter(cfg.printer).status()
        found["printer"] = {
            "kind": cfg.printer.kind.value,
            "target": cfg.printer.target,
            "status": st.state.value,
            "detail": st.detail,
        }
    return found


def run_devices(args: argparse.Namespace) -> int:
    try:
        found = survey(args.config)
    except KassaError as exc:
        print(exc.for_cashier())
        return 2
    if args.json:
        print(json.dumps(found, ensure_ascii=False))
        return 0
    print("serial ports:")
    for p in found["serial_ports"] or [{"device": "(none)", "description": ""}]:
        print(f"  {p['device']}  {p['description']}")
    print("cameras:", ", ".join(found["cameras"]) or "(none)")
    if "scanner" in found:
        print(f"scanner: {found['scanner']['url']}")
        pr = found["printer"]
        print(f"printer: {pr['kind']}:{pr['target']}  {pr['status']}  {pr['detail']}")
    return 0


def run_printer_test(args: argparse.Namespace) -> int:
    from drivers.printer import EscposPrinter
    from ui.config import load_config

    try:
        cfg = load_config(Path(args.config))
        printer = EscposPrinter(cfg.printer)
        st = printer.status()
        print(f"printer {cfg.printer.kind.value}:{cfg.printer.target}: {st.state.value}")
        printer.print_receipt(test_page(cfg.printer.width_chars))
    except KassaError as exc:
        print(exc.for_cashier())
        return 1
    print("test page printed")
    return 0
