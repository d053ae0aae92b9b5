"""`foerdermatch newsletter ...`: run the digests and delivery (or show what would be sent), list subscribers."""

from __future__ import annotations

import argparse

from sqlmodel import Session, col, select

from cli.common import database, print_json, settings


def add_parser(sub: argparse._SubParsersAction) -> None:
    nl = sub.add_parser("newsletter", help="the newsletter bot").add_subparsers(dest="newsletter_cmd", required=True)
    run = nl.add_parser("run", help="compute due digests and deliver everything due")
    run.add_argument("--dry-run", action="store_true", help="print what would be sent; write and send nothing")
    run.set_defaults(func=cmd_run)
    lst = nl.add_parser("subscribers", help="list subscriptions with status and delivery failures")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=cmd_subscribers)
    problems = nl.add_parser("problems", help="disabled subscriptions and dead, unknown or retried messages")
    problems.set_defaults(func=cmd_problems)


def cmd_run(args: argparse.Namespace) -> int:
    from matcher.runtime import MatchRuntime
    from newsletter.jobs import run_newsletter

    cfg = settings()
    engine = database(cfg)
    report = run_newsletter(engine, cfg, MatchRuntime(engine, cfg), dry_run=args.dry_run)
    verb = "would send" if args.dry_run else "queued"
    for p in report.planned:
        print(f"{verb} digest to subscription {p.subscription_id} ({p.channel} {p.address or '-'}): "
              f"{p.items} items - {p.summary}")
    for m in report.pending:
        print(f"would deliver message {m['id']} ({m['kind']}, {m['channel']}) to {m['to']}: {m['subject'] or ''}")
    if report.delivery is not None:
        counts = ", ".join(f"{n} {status}" for status, n in sorted(report.delivery.statuses.items())) or "nothing due"
        print(f"{len(report.planned)} digests; delivery: {counts}")
    elif not report.planned and not report.pending:
        print("nothing would be sent")
    return 0


def cmd_subscribers(args: argparse.Namespace) -> int:
    from newsletter.models import Subscription

    with Session(database()) as s:
        rows = s.exec(select(Subscription).order_by(col(Subscription.id))).all()
        data = [{"id": x.id, "channel": x.channel, "address": x.address, "status": x.status,
                 "frequency": x.frequency, "language": x.language, "failure_count": x.failure_count,
                 "created_at": x.created_at, "last_digest_at": x.last_digest_at} for x in rows]
    if args.json:
        print_json(data)
        return 0
    for d in data:
        print(f"{d['id']:>5}  {d['channel']:<8} {d['status']:<21} {d['frequency']:<11} "
              f"failures={d['failure_count']}  {d['address'] or '-'}")
    print(f"{len(data)} subscriptions")
    return 0


def cmd_problems(args: argparse.Namespace) -> int:
    from newsletter.outbox import delivery_problems

    with Session(database()) as s:
        print_json(delivery_problems(s))
    return 0
