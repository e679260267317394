"""``python -m local demo``: the whole system on this machine, seeded with the demo group."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from demo.users import DemoUser


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM stops the demo as cleanly as Ctrl-C


# Lambda sends the functions' EMF metric lines to CloudWatch; in the demo they would flood the
# terminal with JSON, so they are off unless asked for (POWERTOOLS_METRICS_DISABLED=false).
METRICS_DISABLED = "POWERTOOLS_METRICS_DISABLED"


def demo(customers: int) -> None:
    signal.signal(signal.SIGTERM, _interrupt)
    os.environ.setdefault(METRICS_DISABLED, "true")
    from local.emulators import EmulatorError, Emulators

    emulators = Emulators()
    try:
        emulators.start()
    except EmulatorError as exc:
        sys.exit(f"xsell demo: {exc}")
    os.environ.update(emulators.client_environment())

    # Imported only now: boto3 clients must see the emulator endpoints.
    from demo import seed, users
    from local.system import LocalSystem

    system = LocalSystem()
    try:
        started = time.monotonic()
        system.start()
        assert system.resources and system.cdn and system.gateway and system.user_pool
        logins = users.create_demo_users(system.user_pool)
        seed.seed_config(system.site_urls, system.cdn.url)
        refs = seed.seed_customers(system.resources.drop_bucket, customers)
        seed.seed_events(system.resources.events_bucket)
        statuses = seed.wait_for_jobs(refs)
        seed.publish_affinity()
        print(f"\nxsell demo is up ({time.monotonic() - started:.1f}s); imports: {', '.join(statuses)}\n")
        showcase = seed.showcase_customers(
            system.gateway.url, system.site_urls
        )  # a customer who sees a banner
        for brand, url in system.site_urls.items():
            shown = showcase.get(brand)
            if shown:
                print(f"  brand site {brand:<5} {url}/?customer={shown}")
            else:  # never a customer who sees nothing: the page's note says why for each one
                print(f"  brand site {brand:<5} {url}/  (no demo customer gets a banner here now)")
        print(f"  admin page       {system.cdn.url}/admin/")
        print(f"  tag              {system.cdn.url}/tag/tag.js")
        print(f"  API              {system.gateway.url}/v1/decide")
        print(f"  admin API        {system.gateway.url}/admin/v1/ (ID token as Authorization)")
        print(f"  S3/SQS (moto)    {emulators.endpoints['s3']}")
        print(f"  DynamoDB Local   {emulators.endpoints['dynamodb']}")
        _print_logins(logins, users.PASSWORD)
        print("\nPress Ctrl-C to stop.", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    except KeyboardInterrupt:
        print("interrupted while starting", file=sys.stderr)
    finally:
        system.stop()
        emulators.stop()
        print("xsell demo stopped.")


def _print_logins(logins: tuple[DemoUser, ...], password: str) -> None:
    print(f"\n  admin logins (password for all: {password})")
    for user in logins:
        print(f"    {user.email:<24} {user.role:<15} {user.brand or '-'}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m local")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("demo", help="start the local system with the demo group")
    run.add_argument("--customers", type=int, default=3000)
    args = parser.parse_args()
    if args.command == "demo":
        demo(args.customers)


if __name__ == "__main__":
    main()
