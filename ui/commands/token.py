"""`kassa token`: make a phone QR token as a customer's app would, to test a till.

kassa token --new-key app.key            # a new app key pair; prints the public key
kassa token --key app.key --customer C3  # a token signed with that key, made now
kassa token --demo --customer C3         # a token from the demo customer's app key
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from agent.clock import SystemClock, parse_utc
from agent.signing import new_private_key, public_key_hex
from agent.tokens import issue_token


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    t = sub.add_parser("token", help="make a phone QR token as a customer's app would")
    t.add_argument("--customer", help="HQ's customer id")
    t.add_argument("--key", help="file holding the app's private key (64 hex digits)")
    t.add_argument("--demo", action="store_true", help="use the demo customer's app key")
    t.add_argument("--new-key", metavar="FILE", help="write a new app private key to FILE")
    t.add_argument("--at", help="ISO time with offset the app made the token (default: now)")
    t.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.new_key:
        key = new_private_key()
        path = Path(args.new_key)
        # Readable by its owner from the first byte on, and never over another file.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            print(f"kassa token: {path} exists; a key is never written over", file=sys.stderr)
            return 2
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(key.hex() + "\n")
        print(public_key_hex(key))  # register this with HQ as the customer's app key
        return 0
    if not args.customer or not (args.key or args.demo):
        print("kassa token: give --customer and --key FILE (or --demo), or --new-key FILE")
        return 2
    if args.demo:
        from agent.demo import demo_app_key

        private = demo_app_key(args.customer)
    else:
        try:
            private = bytes.fromhex(Path(args.key).read_text(encoding="ascii").strip())
        except (OSError, ValueError) as exc:
            print(f"kassa token: cannot read the key: {exc}")
            return 2
        if len(private) != 32:
            print("kassa token: the key file must hold 32 bytes as 64 hex digits")
            return 2
    try:
        at = parse_utc(args.at) if args.at else SystemClock().now()
    except ValueError as exc:
        print(f"kassa token: --at: {exc}")
        return 2
    print(issue_token(args.customer, private, at))
    return 0
