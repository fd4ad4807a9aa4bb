"""Operator commands: `pasar gateway create-admin --name NAME (--email E | --phone P) [--password PW]`.

Admins are never created through public sign-up. Without --password the password is read from
ADMIN_PASSWORD or asked for on the terminal."""
from __future__ import annotations

import argparse
import getpass
import os
import sys


def create_admin(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="pasar gateway create-admin")
    parser.add_argument("--name", required=True)
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--email")
    who.add_argument("--phone")
    parser.add_argument("--password", help="prefer ADMIN_PASSWORD or the prompt: argv shows up in `ps`")
    args = parser.parse_args(argv)
    password = args.password or os.environ.get("ADMIN_PASSWORD") or getpass.getpass("password for the admin: ")

    from pasar.errors import ApiError

    from . import accounts
    from .app import create_app

    with create_app().app_context():
        try:
            account = accounts.create_admin(args.name, args.email or args.phone, password)
        except ApiError as err:
            detail = "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in err.fields.items())
            print(f"not created: {err.message}" + (f" ({detail})" if detail else ""), file=sys.stderr)
            return 1
    print(f"admin created: {account.id} {account.email or account.phone}")
    return 0


def sign_out_everywhere(argv: list[str]) -> int:
    """`pasar gateway sign-out-everywhere PHONE_OR_EMAIL`: end every login of an account at once (a suspended
    account, a lost phone): refresh tokens revoked, access tokens refused by the gateway and every service."""
    parser = argparse.ArgumentParser(prog="pasar gateway sign-out-everywhere")
    parser.add_argument("identifier", help="the account's phone number or email")
    args = parser.parse_args(argv)

    from pasar.web import read_session

    from . import accounts
    from .app import create_app

    with create_app().app_context():
        with read_session() as session:
            account = accounts.find_account(session, args.identifier)
        if account is None:
            print("no such account", file=sys.stderr)
            return 1
        accounts.sign_out_everywhere(account.id)
    print(f"signed out everywhere: {account.id}")
    return 0


COMMANDS = {"create-admin": create_admin, "sign-out-everywhere": sign_out_everywhere}
