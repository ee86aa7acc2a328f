"""`kassa cashier add`: set up who may sign in at a till, with a personal PIN."""

from __future__ import annotations

import argparse
from pathlib import Path

from agent.i18n import LANGUAGES
from agent.staff import Role, new_cashier
from agent.store import Store


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    c = sub.add_parser("cashier", help="cashiers and managers who sign in at this till")
    c_sub = c.add_subparsers(dest="cashier_cmd", required=True)
    a = c_sub.add_parser("add", help="add (or replace) a cashier with a PIN")
    a.add_argument("--data-dir", required=True)
    a.add_argument("--id", required=True)
    a.add_argument("--name", required=True)
    a.add_argument("--role", choices=[r.value for r in Role], default=Role.CASHIER.value)
    a.add_argument("--pin", required=True, help="at least 4 digits; stored as a salted hash")
    a.add_argument("--language", choices=["", *LANGUAGES], default="")
    a.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        cashier = new_cashier(args.id, args.name, Role(args.role), args.pin, args.language)
    except ValueError as exc:
        print(f"kassa cashier add: {exc}")
        return 2
    data = Path(args.data_dir)
    data.mkdir(parents=True, exist_ok=True)
    store = Store.open(data / "terminal.db")
    try:
        store.ledger.save_cashier(cashier)
    finally:
        store.close()
    print(f"{cashier.role.value} {cashier.name} ({cashier.cashier_id}) can sign in")
    return 0
