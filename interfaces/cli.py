"""The ``bazaar`` command line (typer). Its commands and flags are a contract other tools rely
on: see API.md "Command line"."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sys
import tempfile
from typing import Annotated, Any

import typer

from application.identity import SignUpCommand
from domain.errors import DomainError
from infrastructure.container import Container
from infrastructure.settings import Settings

app = typer.Typer(help="Bazaar: serve the API and administer its database.", no_args_is_help=True)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes")] = 1,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development)")] = False,
) -> None:
    """Serve the API with uvicorn. SIGTERM stops it gracefully: in-flight requests finish, the
    engine is disposed, and the process exits 0. Request heads, slow clients and connections are
    bounded per worker (MAX_HEADER_BYTES, MAX_HEADERS, HEADER_TIMEOUT, BODY_TIMEOUT,
    KEEPALIVE_TIMEOUT, MAX_CONNECTIONS)."""
    import uvicorn

    from infrastructure.observability.logs import configure_logging
    from interfaces.http.server import PROTOCOL, ConnectionLimits, install

    settings = Settings()
    configure_logging(settings.log_level, settings.log_renderer)
    # Head size and timeouts live in the HTTP protocol, which each worker process builds: the
    # limits travel to the workers through the environment.
    limits = ConnectionLimits.from_settings(settings)
    install(limits)
    multiproc_dir = _prepare_multiprocess_metrics(workers, reload)
    # uvicorn re-raises the SIGTERM it handled once it has shut down; ending with status 0
    # then tells a supervisor the stop was clean.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    try:
        uvicorn.run(
            "interfaces.http.app:app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=None if reload else workers,
            reload=reload,
            log_config=None,  # the workers log through Bazaar's structured handler
            access_log=False,  # the request log middleware writes one richer line per request
            log_level=settings.log_level.lower(),
            server_header=False,
            proxy_headers=False,
            http=PROTOCOL,
            timeout_keep_alive=limits.keepalive_timeout,
            limit_concurrency=limits.limit_concurrency,
            # A worker importing the app on a loaded machine can take longer than uvicorn's 5 s
            # default before it answers the supervisor's health check; killing it then only
            # makes the start-up slower (seen with two workers on two busy cores).
            timeout_worker_healthcheck=30,
        )
    finally:
        if multiproc_dir is not None:
            shutil.rmtree(multiproc_dir, ignore_errors=True)


def _exit_cleanly(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


def _prepare_multiprocess_metrics(workers: int, reload: bool) -> str | None:
    """With several workers, Prometheus multiprocess mode: each worker writes its samples to a
    fresh directory (inherited through the environment) and ``/metrics`` sums them. Returns the
    directory to remove afterwards (None when not created here)."""
    from infrastructure.observability.metrics import MULTIPROC_DIR_ENV

    if workers <= 1 or reload or os.environ.get(MULTIPROC_DIR_ENV):
        return None
    directory = tempfile.mkdtemp(prefix="bazaar-metrics-")
    os.environ[MULTIPROC_DIR_ENV] = directory
    return directory


@app.command()
def migrate() -> None:
    """Upgrade the database at DATABASE_URL to the latest revision."""
    from infrastructure.migrations import upgrade

    settings = Settings()
    upgrade(settings.database_url)
    typer.echo("database is at the latest revision")


@app.command("create-superuser")
def create_superuser(
    email: Annotated[str, typer.Option(help="Email of the superuser")],
    username: Annotated[str, typer.Option(help="Username of the superuser")],
) -> None:
    """Create a superuser, or promote the existing user with that email. The password comes
    from BAZAAR_PASSWORD, else a hidden prompt; never from the command line."""
    password = os.environ.get("BAZAAR_PASSWORD") or typer.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )

    async def run() -> tuple[str, bool]:
        container = Container(settings=Settings())
        try:
            view, created = await container.identity.create_superuser()(
                SignUpCommand(email=email, username=username, password=password)
            )
            return view.email, created
        finally:
            await container.core.engine().dispose()

    try:
        address, created = asyncio.run(run())
    except DomainError as error:
        typer.echo(f"error: {error.detail}", err=True)
        raise typer.Exit(1) from error
    typer.echo(f"{'created' if created else 'promoted'} superuser {address}")


@app.command()
def purge() -> None:
    """Delete expired housekeeping rows: login throttle windows that have ended (the service also
    does this by itself, at most once a minute per process) and idempotency keys older than 24
    hours. For cron."""

    async def run() -> tuple[int, int]:
        container = Container(settings=Settings())
        try:
            windows = int(await container.identity.purge_login_throttle()())
            keys = int(await container.ledger.purge_idempotency_keys()())
            return windows, keys
        finally:
            await container.core.engine().dispose()

    windows, keys = asyncio.run(run())
    typer.echo(f"purged {windows} expired login throttle windows and {keys} idempotency keys")


ledger_app = typer.Typer(help="The money ledger.", no_args_is_help=True)
app.add_typer(ledger_app, name="ledger")


@ledger_app.command("verify")
def ledger_verify() -> None:
    """Check every invariant of the ledger on the configured database: each account's balance
    equals the sum of its entries and its last entry's balance_after, none is negative, the
    balances add up to the deposits, every transfer has exactly its two entries, and per order
    payments and refunds balance (a paid order paid exactly its total, a cancelled one gave every
    payment back, a pending one moved no money). Prints a summary; exits 1 on any mismatch."""

    async def run() -> Any:
        container = Container(settings=Settings())
        try:
            return await container.ledger.verify()()
        finally:
            await container.core.engine().dispose()

    report = asyncio.run(run())
    typer.echo(
        f"{report.accounts} accounts, {report.entries} entries, {report.transfers} transfers, "
        f"{report.orders} orders; "
        f"balances {report.total_balance}, deposits {report.total_deposits}"
    )
    for problem in report.problems:
        typer.echo(f"MISMATCH {problem}", err=True)
    if not report.ok:
        raise typer.Exit(1)
    typer.echo("ledger verified: every invariant holds")


DEMO_PASSWORD_ENV = "BAZAAR_DEMO_PASSWORD"
DEFAULT_DEMO_PASSWORD = "bazaar-demo-password"


@app.command()
def seed(
    users: Annotated[int, typer.Option(min=0, help="Demo users (user0001@example.com, ...)")] = 1000,
    items: Annotated[int, typer.Option(min=0, help="Demo items, 0-3 tags each")] = 10_000,
    tags: Annotated[int, typer.Option(min=1, max=9999, help="Demo tags (tag-01, ...)")] = 50,
    teams: Annotated[int, typer.Option(min=0, max=999, help="Demo teams (Team 001, ...)")] = 50,
    heroes: Annotated[int, typer.Option(min=0, max=99_999, help="Demo heroes, in 0-2 teams each")] = 1000,
    orders: Annotated[int, typer.Option(min=0, help="Demo orders, in every status")] = 1000,
    posts: Annotated[int, typer.Option(min=0, help="Demo posts (Post 00001, ...)")] = 5000,
) -> None:
    """Load deterministic demo data with bulk inserts: users, tags, items, an account with a
    deposit per user, and orders in every status (paid ones with their payments and refunds,
    so ``bazaar ledger verify`` holds). Safe to run twice: rows that exist already are skipped.
    Demo users share one password (env BAZAAR_DEMO_PASSWORD, else 'bazaar-demo-password'),
    hashed once with Argon2id."""
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from infrastructure.persistence.seed import SeedPlan, SeedResult, counts
    from infrastructure.persistence.seed import seed as run_seed

    if (items or posts) and not users:
        typer.echo("error: items and posts need at least one user (--users 1 or more)", err=True)
        raise typer.Exit(2)
    password = os.environ.get(DEMO_PASSWORD_ENV) or DEFAULT_DEMO_PASSWORD
    started = time.perf_counter()

    async def run(progress: Progress) -> tuple[SeedResult, dict[str, int]]:
        container = Container(settings=Settings())
        try:
            password_hash = await container.core.hasher().hash(password)  # once, for every user
            task_ids: dict[str, Any] = {}

            def advance(table: str, done: int, planned: int) -> None:
                if table not in task_ids:
                    task_ids[table] = progress.add_task(table, total=planned or 1)
                progress.update(task_ids[table], completed=done if planned else 1)

            engine = container.core.engine()
            plan = SeedPlan(users, items, tags, teams=teams, heroes=heroes, orders=orders, posts=posts)
            result = await run_seed(engine, plan, password_hash, advance)
            return result, await counts(engine)
        finally:
            await container.core.engine().dispose()

    columns = (TextColumn("{task.description:>10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, transient=False) as progress:
        result, totals = asyncio.run(run(progress))
    elapsed = time.perf_counter() - started
    if not result.added_anything:
        typer.echo(f"nothing added: the demo data is already there ({elapsed:.1f}s)")
    else:
        typer.echo(
            f"added {result.users} users, {result.tags} tags, {result.items} items, "
            f"{result.item_tags} item tags, {result.accounts} accounts, {result.orders} orders, "
            f"{result.posts} posts, {result.teams} teams, {result.heroes} heroes, "
            f"{result.memberships} memberships in {elapsed:.1f}s"
        )
    typer.echo("database now holds " + ", ".join(f"{n} {table}" for table, n in totals.items()))


@app.command()
def openapi() -> None:
    """Print the OpenAPI document as JSON."""
    from interfaces.http.app import create_app

    json.dump(create_app(Settings()).openapi(), sys.stdout, indent=2)
    sys.stdout.write("\n")


def main() -> None:
    app()
