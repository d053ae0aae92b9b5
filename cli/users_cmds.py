"""`foerdermatch users ...`: create desk, coordinator and admin accounts, list them, issue API tokens."""

from __future__ import annotations

import argparse
import getpass
import sys

from sqlmodel import Session, select

from api import accounts
from api.models import ROLES, User
from cli.common import database, fail, print_json

MIN_PASSWORD = 12


def add_parser(sub: argparse._SubParsersAction) -> None:
    users = sub.add_parser("users", help="desk accounts and API tokens").add_subparsers(dest="users_cmd", required=True)
    add = users.add_parser("add", help="create an account (password from a prompt or --password-stdin)")
    add.add_argument("email")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--name", default="")
    add.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    add.add_argument("--no-password", action="store_true", help="token-only account (bots): no web login")
    add.add_argument("--token", metavar="NAME", help="also issue an API token with this name and print it once")
    add.set_defaults(func=cmd_add)
    token = users.add_parser("token", help="issue a new API token for an existing account (printed once)")
    token.add_argument("email")
    token.add_argument("--name", required=True, help="what the token is for, e.g. newsletter-bot")
    token.set_defaults(func=cmd_token)
    lst = users.add_parser("list", help="list accounts")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=cmd_list)


def read_password(args: argparse.Namespace) -> str | None:
    if args.no_password:
        return None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != password:
            fail("The passwords do not match.")
    if len(password) < MIN_PASSWORD:
        fail(f"The password must have at least {MIN_PASSWORD} characters.")
    return password


def cmd_add(args: argparse.Namespace) -> int:
    password = read_password(args)
    with Session(database()) as s, s.begin():
        try:
            user = accounts.create_user(s, email=args.email, role=args.role, name=args.name, password=password)
        except accounts.AccountError as e:
            fail(f"{e}.")
        token = accounts.issue_token(s, user, args.token) if args.token else None
        print(f"created {user.role} account {user.email}")
    if token:
        print(f"API token {args.token!r} (shown only now, store it safely):\n{token}")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    with Session(database()) as s, s.begin():
        user = s.exec(select(User).where(User.email == accounts.normalise_email(args.email))).first()
        if user is None:
            fail(f"No account {args.email}.")
        token = accounts.issue_token(s, user, args.name)
    print(f"API token {args.name!r} for {args.email} (shown only now, store it safely):\n{token}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    with Session(database()) as s:
        rows = [{"email": u.email, "name": u.name, "role": u.role, "active": u.active,
                 "web_login": u.password_hash is not None} for u in accounts.list_users(s)]
    if args.json:
        print_json(rows)
        return 0
    for r in rows:
        print(f"{r['email']:40} {r['role']:12} {'active' if r['active'] else 'inactive'}  {r['name']}")
    return 0
