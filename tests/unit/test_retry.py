"""The transaction helper: one unit of work, one commit, the whole work rerun on a lost race
(bounded, with a growing jittered pause), anything else rolled back and raised unchanged."""

from __future__ import annotations

import pytest

from application.errors import TransientConflict
from application.transactions import RetryPolicy, Transactions
from domain.errors import NotFound
from tests.fakes import FakeDatabase, FakeUnitOfWork, FakeUnitOfWorkFactory


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def helper(db: FakeDatabase, attempts: int = 3) -> tuple[Transactions[FakeUnitOfWork], Sleeps]:
    sleeps = Sleeps()
    policy = RetryPolicy(attempts=attempts, base_delay=0.01, jitter=lambda: 0.5)
    return Transactions(FakeUnitOfWorkFactory(db), policy, sleeps), sleeps


async def test_commits_once_and_returns_the_result() -> None:
    db = FakeDatabase()
    tx, sleeps = helper(db)

    async def work(uow: FakeUnitOfWork) -> int:
        uow.state.tags["x"] = 1
        return 42

    assert await tx(work) == 42
    assert db.commits == 1 and db.state.tags == {"x": 1} and sleeps.delays == []


async def test_reruns_the_whole_work_after_lost_races_with_growing_pauses() -> None:
    db = FakeDatabase()
    tx, sleeps = helper(db)
    db.fail("commit", 2)
    runs = 0

    async def work(uow: FakeUnitOfWork) -> str:
        nonlocal runs
        runs += 1
        uow.state.tags[f"run{runs}"] = runs
        return "done"

    assert await tx(work) == "done"
    assert runs == 3 and db.commits == 1
    assert db.state.tags == {"run3": 3}  # the lost runs left nothing behind
    assert sleeps.delays == [pytest.approx(0.015), pytest.approx(0.03)]  # base * n * (1 + jitter)


async def test_gives_up_after_the_last_attempt() -> None:
    db = FakeDatabase()
    tx, sleeps = helper(db, attempts=2)
    db.fail("commit", 5)

    async def work(uow: FakeUnitOfWork) -> None:
        uow.state.tags["x"] = 1

    with pytest.raises(TransientConflict):
        await tx(work)
    assert db.commits == 0 and db.state.tags == {} and len(sleeps.delays) == 1


async def test_other_errors_roll_back_and_are_never_retried() -> None:
    db = FakeDatabase()
    tx, sleeps = helper(db)
    runs = 0

    async def work(uow: FakeUnitOfWork) -> None:
        nonlocal runs
        runs += 1
        uow.state.tags["x"] = 1
        raise NotFound("gone")

    with pytest.raises(NotFound):
        await tx(work)
    assert runs == 1 and db.commits == 0 and db.state.tags == {} and sleeps.delays == []


def test_a_transient_conflict_is_not_a_domain_error() -> None:
    """Code that reports domain errors (a batch's failed elements) must never swallow a lost race."""
    from domain.errors import DomainError

    assert not issubclass(TransientConflict, DomainError)


def test_default_policy_delay_is_jittered_between_one_and_two_times_the_step() -> None:
    policy = RetryPolicy()
    for attempt in (1, 2):
        assert 0.01 * attempt <= policy.delay(attempt) < 0.02 * attempt
