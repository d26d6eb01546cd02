"""Identity's rules on their own (domain/identity.py, the user view): bounds from both sides,
the refusals a client sees, and what each change of a user records (token version, stamps)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from application.identity.views import ProfileView, UserView
from domain.errors import InvalidInput
from domain.identity import Profile, User, check_password, check_username, normalise_email

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)


def user(**changes: object) -> User:
    stored = User(
        email="ann@example.com",
        username="ann",
        password_hash="v1$password-1",
        id=7,
        created_at=NOW,
        updated_at=NOW,
    )
    return replace(stored, **changes)  # type: ignore[arg-type]


def refused(call: object, *args: object) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        call(*args)  # type: ignore[operator]
    return caught.value


# --- usernames, passwords, emails --------------------------------------------------------------


def test_usernames_are_3_to_50_of_letters_digits_and_dot_dash_underscore() -> None:
    for good in ("abc", "A.b-c_9", "x" * 50):
        assert check_username(good) == good
    for bad in ("ab", "x" * 51, "a b", "ann@x", "änn", ""):
        error = refused(check_username, bad)
        assert error.detail == "username must be 3-50 characters of A-Z, a-z, 0-9, _ . -"
        assert error.field == "username"


def test_passwords_are_8_to_128_characters() -> None:
    for good in ("x" * 8, "x" * 128):
        assert check_password(good) == good
    for bad in ("x" * 7, "x" * 129, ""):
        error = refused(check_password, bad)
        assert (error.detail, error.field) == ("password must be 8-128 characters", "password")


def test_emails_are_compared_trimmed_and_lower_cased() -> None:
    assert normalise_email("  Ann@Example.COM ") == "ann@example.com"


# --- what a change records ---------------------------------------------------------------------


def test_a_new_password_bumps_the_token_version_by_one() -> None:
    ann = user(token_version=4)
    assert ann.edit(LATER, password_hash="v1$password-2") is True
    assert (ann.token_version, ann.password_hash, ann.updated_at) == (5, "v1$password-2", LATER)
    assert ann.edit(LATER, password_hash="v1$password-2") is False  # the same hash: no revocation
    assert ann.token_version == 5


def test_edit_normalises_and_checks_what_it_is_given() -> None:
    ann = user()
    assert ann.edit(LATER, email=" ANN2@Example.com", username="Ann_2", full_name="Ann") is True
    assert (ann.email, ann.username, ann.full_name, ann.token_version) == (
        "ann2@example.com",
        "Ann_2",
        "Ann",
        0,
    )
    assert refused(lambda: ann.edit(LATER, username="a")).field == "username"
    assert ann.edit(LATER, full_name=None) is True and ann.full_name is None


def test_only_deactivating_an_active_account_revokes_its_tokens() -> None:
    ann = user(token_version=2)
    assert ann.set_access(LATER, is_superuser=True) is True
    assert (ann.is_superuser, ann.token_version, ann.updated_at) == (True, 2, LATER)
    assert ann.set_access(LATER, is_active=True) is False and ann.token_version == 2
    assert ann.set_access(LATER, is_active=False) is True and ann.token_version == 3
    assert ann.set_access(LATER, is_active=False) is False and ann.token_version == 3  # already inactive
    assert ann.set_access(LATER, is_superuser=False) is True and ann.token_version == 3


def test_promote_makes_any_account_an_active_superuser_again() -> None:
    gone = user(is_active=False, is_deleted=True, deleted_at=NOW)
    assert gone.promote(LATER) is True
    assert (gone.is_superuser, gone.is_active, gone.is_deleted, gone.deleted_at) == (True, True, False, None)
    assert gone.updated_at == LATER
    assert gone.promote(LATER + timedelta(seconds=1)) is False and gone.updated_at == LATER


def test_soft_delete_records_when_and_revokes_tokens() -> None:
    ann = user(token_version=1)
    ann.soft_delete(LATER)
    assert (ann.is_deleted, ann.deleted_at, ann.is_active) == (True, LATER, False)
    assert (ann.token_version, ann.updated_at) == (2, LATER)
    assert not ann.can_log_in


def test_rehash_and_profile_changes_are_stamped() -> None:
    ann = user()
    assert ann.rehash(LATER, "v2$password-1") is True
    assert (ann.password_hash, ann.updated_at, ann.token_version) == ("v2$password-1", LATER, 0)
    assert ann.rehash(LATER + timedelta(seconds=1), "v2$password-1") is False and ann.updated_at == LATER
    assert ann.replace_profile(NOW, Profile(bio="hi")) is True and ann.profile == Profile(bio="hi")
    assert ann.replace_profile(LATER, Profile(bio="hi")) is False and ann.updated_at == NOW


def test_who_can_log_in() -> None:
    assert user().can_log_in
    assert not user(is_active=False).can_log_in
    assert not user(is_deleted=True).can_log_in


# --- the view ----------------------------------------------------------------------------------


def test_the_view_of_a_user_shows_every_field() -> None:
    ann = user(
        full_name="Ann B",
        is_superuser=True,
        is_active=False,
        token_version=3,
        updated_at=LATER,
        profile=Profile(bio="hi", avatar_url="https://x.io/a.png"),
    )
    assert UserView.of(ann) == UserView(
        id=7,
        email="ann@example.com",
        username="ann",
        full_name="Ann B",
        is_active=False,
        is_superuser=True,
        created_at=NOW,
        updated_at=LATER,
        profile=ProfileView("hi", "https://x.io/a.png"),
        token_version=3,
    )
    assert UserView.of(user()).profile is None


@pytest.mark.parametrize(
    "unsaved", [{"id": None}, {"created_at": None}, {"updated_at": None}, {"id": None, "created_at": None}]
)
def test_a_view_of_an_unsaved_user_is_a_programming_error(unsaved: dict[str, object]) -> None:
    with pytest.raises(AssertionError, match=r"^user not stored yet$"):
        UserView.of(user(**unsaved))
