"""The hot reads answer with documents rendered by orjson (``item_document``,
``private_user_document``) instead of validating and serialising their output models: the two
must give the same JSON for any view."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import orjson
from hypothesis import given
from hypothesis import strategies as st

from application.catalog.views import ItemView, OwnerView
from application.identity.views import ProfileView, UserView
from interfaces.http.schemas.catalog import ItemOut, item_document
from interfaces.http.schemas.common import PageOut, page_document, page_out
from interfaces.http.schemas.identity import UserPrivateOut, private_user_document

texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
moments = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
) | st.datetimes(timezones=st.sampled_from([timezone(timedelta(hours=5, minutes=30)), UTC]))
views = st.builds(
    ItemView,
    id=st.integers(1, 2**63 - 1),
    title=texts,
    description=st.none() | texts,
    price=st.decimals(min_value=0, max_value=Decimal("9999999999.99"), places=2),
    is_active=st.booleans(),
    owner=st.builds(OwnerView, id=st.integers(1, 2**63 - 1), username=texts),
    tags=st.lists(st.from_regex(r"[a-z0-9-]{1,50}", fullmatch=True), max_size=5),
    created_at=moments,
    updated_at=moments,
)


@given(views)
def test_an_item_document_is_what_item_out_serialises(view: ItemView) -> None:
    by_model = json.loads(ItemOut.model_validate(view).model_dump_json())
    assert orjson.loads(orjson.dumps(item_document(view))) == by_model


@given(st.lists(views, max_size=3), st.integers(0, 10**6), st.none() | st.text(max_size=20))
def test_a_page_document_is_what_page_out_serialises(
    items: list[ItemView], total: int, cursor: str | None
) -> None:
    class Page:
        pass

    page = Page()
    page.items, page.total, page.limit, page.offset, page.next_cursor = items, total, 50, 0, cursor  # type: ignore[attr-defined]
    by_model = json.loads(PageOut[ItemOut].model_validate(page_out(ItemOut, page)).model_dump_json())
    assert orjson.loads(orjson.dumps(page_document(item_document, page))) == by_model


users = st.builds(
    UserView,
    id=st.integers(1, 2**63 - 1),
    email=texts,
    username=texts,
    full_name=st.none() | texts,
    is_active=st.booleans(),
    is_superuser=st.booleans(),
    created_at=moments,
    updated_at=moments,
    profile=st.none() | st.builds(ProfileView, bio=st.none() | texts, avatar_url=st.none() | texts),
    token_version=st.integers(0, 10),
)


@given(users)
def test_a_private_user_document_is_what_user_private_out_serialises(user: UserView) -> None:
    by_model = json.loads(UserPrivateOut.model_validate(user).model_dump_json())
    assert orjson.loads(orjson.dumps(private_user_document(user))) == by_model
