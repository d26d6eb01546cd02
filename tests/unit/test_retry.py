"""The transient-conflict retry policy."""

from __future__ import annotations

import pytest

from application.common import TransientConflict, retry_transient


async def test_retries_until_success() -> None:
    calls = 0

    async def attempt() -> str:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise TransientConflict("deadlock detected")
        return "done"

    assert await retry_transient(attempt, base_delay=0) == "done"
    assert calls == 3


async def test_gives_up_after_the_last_attempt_and_never_retries_other_errors() -> None:
    calls = 0

    async def always() -> None:
        nonlocal calls
        calls += 1
        raise TransientConflict("serialization failure")

    with pytest.raises(TransientConflict):
        await retry_transient(always, attempts=2, base_delay=0)
    assert calls == 2

    async def broken() -> None:
        nonlocal calls
        calls += 1
        raise ValueError("not transient")

    calls = 0
    with pytest.raises(ValueError):
        await retry_transient(broken, base_delay=0)
    assert calls == 1
