"""``bazaar seed``: deterministic, bulk, safe to run twice."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner

from infrastructure.persistence.seed import SeedPlan, counts, seed
from interfaces.cli import app
from tests.conftest import build_container


async def test_seed_twice_adds_nothing_the_second_time(server_db: AsyncEngine) -> None:
    db = server_db
    plan = SeedPlan(users=30, items=400, tags=12, teams=7, heroes=60, orders=120, posts=300)
    calls: list[tuple[str, int, int]] = []
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.sync_engine, "before_cursor_execute", listener)
    try:
        first = await seed(db, plan, "argon2-hash", lambda *a: calls.append(a))
    finally:
        event.remove(db.sync_engine, "before_cursor_execute", listener)
    assert (first.users, first.tags, first.items, first.posts) == (30, 12, 400, 300)
    assert len(statements) < 40, "bulk inserts, not one statement per row (860 rows and 120 orders)"
    assert ("items", 400, 400) in calls and ("posts", 300, 300) in calls
    totals = await counts(db)
    assert totals == {
        "users": 30,
        "tags": 12,
        "items": 400,
        "item_tags": first.item_tags,
        "accounts": 30,
        "ledger_entries": totals["ledger_entries"],
        "orders": first.orders,
        "order_lines": totals["order_lines"],
        "teams": 7,
        "heroes": 60,
        "team_members": first.memberships,
        "posts": 300,
    }
    assert first.accounts == 30 and (first.teams, first.heroes) == (7, 60) and first.memberships > 30
    assert ("heroes", 60, 60) in calls and ("teams", 7, 7) in calls
    assert 100 <= first.orders <= 120 and totals["order_lines"] >= first.orders
    async with db.connect() as conn:
        statuses = dict(
            (await conn.execute(text("SELECT status, count(*) FROM orders GROUP BY status"))).all()
        )
        refunded = await conn.scalar(text("SELECT count(*) FROM ledger_entries WHERE kind = 'refund_in'"))
    assert set(statuses) == {"pending", "processing", "shipped", "delivered", "cancelled"}, statuses
    assert refunded and totals["ledger_entries"] > 30  # payments, and the refunds of cancelled paid orders
    async with db.connect() as conn:
        snapshot = (await conn.execute(text("SELECT title, price, owner_id FROM items ORDER BY id"))).all()
        per_item = (
            await conn.execute(
                text("SELECT max(n) FROM (SELECT count(*) n FROM item_tags GROUP BY item_id) x")
            )
        ).scalar()
        hashes = (await conn.execute(text("SELECT DISTINCT password_hash FROM users"))).scalars().all()
        heroes = (await conn.execute(text("SELECT name, secret_name, age FROM heroes ORDER BY id"))).all()
        per_hero = (
            await conn.execute(
                text("SELECT max(n) FROM (SELECT count(*) n FROM team_members GROUP BY hero_id) x")
            )
        ).scalar()
    assert per_hero is not None and per_hero <= 2
    assert heroes[0] == ("Hero 00001", "Secret identity 00001", heroes[0].age)
    assert any(h.age is None for h in heroes) and all(h.age is None or 16 <= h.age <= 120 for h in heroes)
    async with db.connect() as conn:
        posts = (await conn.execute(text("SELECT title, author_id, created_at FROM posts ORDER BY id"))).all()
    assert per_item is not None and per_item <= 3 and hashes == ["argon2-hash"]
    second = await seed(db, plan, "argon2-hash", lambda *a: None)
    assert not second.added_anything
    assert await counts(db) == totals
    async with db.connect() as conn:
        again = (await conn.execute(text("SELECT title, price, owner_id FROM items ORDER BY id"))).all()
    assert again == snapshot
    async with db.connect() as conn:
        heroes_again = (
            await conn.execute(text("SELECT name, secret_name, age FROM heroes ORDER BY id"))
        ).all()
    assert heroes_again == heroes
    async with db.connect() as conn:
        posts_again = (
            await conn.execute(text("SELECT title, author_id, created_at FROM posts ORDER BY id"))
        ).all()
    assert posts_again == posts
    authors = await build_container(db).blog.author_stats()(5, 100)  # some prolific authors
    assert authors and authors[0].post_count > 5
    report = await build_container(db).ledger.verify()()
    assert report.ok and report.total_balance == report.total_deposits > 0, report.problems
    assert report.orders == first.orders


def test_cli_seed_on_sqlite(tmp_path: Path) -> None:
    env = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'seed.db'}",
        "BAZAAR_DEMO_PASSWORD": "demo-pass-1",
    }
    runner = CliRunner()
    assert runner.invoke(app, ["migrate"], env=env).exit_code == 0
    seed_args = ["seed", "--users", "5", "--items", "50", "--tags", "4", "--orders", "20", "--posts", "30"]
    first = runner.invoke(app, seed_args, env=env)
    assert first.exit_code == 0, first.output
    assert "added 5 users, 4 tags, 50 items" in first.output and "orders" in first.output
    assert "30 posts" in first.output and "50 teams, 1000 heroes" in first.output
    assert runner.invoke(app, ["ledger", "verify"], env=env).exit_code == 0
    second = runner.invoke(app, seed_args, env=env)
    assert second.exit_code == 0 and "nothing added" in second.output and "30 posts" in second.output
    assert "5 users, 4 tags, 50 items" in second.output
    bad = runner.invoke(app, ["seed", "--users", "0", "--items", "5"], env=env)
    assert bad.exit_code == 2
    no_authors = runner.invoke(app, ["seed", "--users", "0", "--items", "0", "--posts", "5"], env=env)
    assert no_authors.exit_code == 2
