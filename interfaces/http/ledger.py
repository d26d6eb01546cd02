"""Ledger routes: ``/accounts``, ``/accounts/{id}/deposits``, ``/accounts/{id}/entries`` and
``/transfers``. Parse, call a use case, answer; rules, authorisation and idempotency live in
``application.ledger`` and ``application.idempotency``."""

from __future__ import annotations

from typing import Annotated, Any

from dependency_injector.wiring import inject
from fastapi import APIRouter, Depends, Query, Request, Response

from application import ledger
from application.pagination import PageParams
from infrastructure.container import Container
from interfaces.http.auth import CurrentActor
from interfaces.http.di import Provide
from interfaces.http.idempotency import IdempotencyKey, answer, idempotency
from interfaces.http.paging import page_params
from interfaces.http.problems import problem_responses
from interfaces.http.schemas.common import MAX_ID, IdPath, PageOut, page_out
from interfaces.http.schemas.ledger import (
    AccountIn,
    AccountOut,
    DepositIn,
    EntryOut,
    TransferFundsIn,
    TransferOut,
)

router = APIRouter()
C = Container.ledger
AUTH = (401, 403)
BODY = (400, 413)
AccountPage = Annotated[PageParams, Depends(page_params(ledger.ACCOUNT_SORTS, "created_at"))]
EntryPage = Annotated[PageParams, Depends(page_params(ledger.ENTRY_SORTS, "-created_at"))]


@router.post(
    "/accounts",
    name="accounts-create",
    status_code=201,
    response_model=AccountOut,
    tags=["accounts"],
    responses=problem_responses(*BODY, *AUTH, 409, 422),
)
@inject
async def open_account(
    body: AccountIn,
    actor: CurrentActor,
    open_account: ledger.OpenAccount = Depends(Provide[C.open_account]),
) -> AccountOut:
    """A new account of the caller, with balance `0.00` (`name` defaults to `Main`; unique per owner)."""
    return AccountOut.model_validate(await open_account(actor, ledger.OpenAccountCommand(body.name)))


@router.get(
    "/accounts",
    name="accounts-list",
    response_model=PageOut[AccountOut],
    tags=["accounts"],
    responses=problem_responses(*AUTH, 400, 422),
)
@inject
async def list_accounts(
    *,
    actor: CurrentActor,
    owner_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Superusers only")] = None,
    page: AccountPage,
    list_accounts: ledger.ListAccounts = Depends(Provide[C.list_accounts]),
) -> dict[str, Any]:
    """The caller's accounts; a superuser sees everyone's (`owner_id` narrows them)."""
    return page_out(AccountOut, await list_accounts(actor, owner_id, page))


@router.get(
    "/accounts/{account_id:int}",
    name="accounts-read",
    response_model=AccountOut,
    tags=["accounts"],
    responses=problem_responses(*AUTH, 404, 422),
)
@inject
async def read_account(
    account_id: IdPath,
    actor: CurrentActor,
    get_account: ledger.GetAccount = Depends(Provide[C.get_account]),
) -> AccountOut:
    """Owner or superuser; anyone else gets the 404 of an unknown account."""
    return AccountOut.model_validate(await get_account(actor, account_id))


@router.post(
    "/accounts/{account_id:int}/deposits",
    name="accounts-deposit",
    status_code=201,
    response_model=EntryOut,
    tags=["accounts"],
    responses=problem_responses(*BODY, *AUTH, 404, 409, 422),
)
@inject
async def deposit(
    account_id: IdPath,
    body: DepositIn,
    actor: CurrentActor,
    request: Request,
    key: IdempotencyKey = None,
    deposit: ledger.Deposit = Depends(Provide[C.deposit]),
) -> Response:
    """Superusers only: one `deposit` entry. `Idempotency-Key` honoured."""
    how = await idempotency(request, actor, key, EntryOut, 201)
    return answer(await deposit(actor, account_id, ledger.DepositCommand(body.amount), how))


@router.get(
    "/accounts/{account_id:int}/entries",
    name="accounts-list-entries",
    response_model=PageOut[EntryOut],
    tags=["accounts"],
    responses=problem_responses(*AUTH, 400, 404, 422),
)
@inject
async def list_entries(
    *,
    account_id: IdPath,
    actor: CurrentActor,
    page: EntryPage,
    list_entries: ledger.ListEntries = Depends(Provide[C.list_entries]),
) -> dict[str, Any]:
    """The account's ledger entries, newest first."""
    return page_out(EntryOut, await list_entries(actor, account_id, page))


@router.post(
    "/transfers",
    name="transfers-create",
    status_code=201,
    response_model=TransferOut,
    tags=["transfers"],
    responses=problem_responses(*BODY, *AUTH, 404, 409, 422),
)
@inject
async def transfer(
    body: TransferFundsIn,
    actor: CurrentActor,
    request: Request,
    key: IdempotencyKey = None,
    transfer: ledger.TransferFunds = Depends(Provide[C.transfer]),
) -> Response:
    """Atomic: both balances, the transfer and its two entries, or nothing. Unknown or foreign
    source 404; unknown target, same account 422; balance too low 409 `insufficient-funds`.
    `Idempotency-Key` honoured."""
    cmd = ledger.TransferCommand(body.from_account_id, body.to_account_id, body.amount)
    how = await idempotency(request, actor, key, TransferOut, 201)
    return answer(await transfer(actor, cmd, how))
