"""Request and response schemas of the ledger context."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from domain.ledger import ACCOUNT_NAME_MAX, AMOUNT_INTEGER_DIGITS, EntryKind, parse_amount
from interfaces.http.schemas.common import NOT_BLANK, Id, InputModel, OutputModel, Timestamp
from interfaces.http.schemas.money import money_in, money_out

AmountIn = money_in(parse_amount, AMOUNT_INTEGER_DIGITS, positive=True)
AmountOut = money_out(AMOUNT_INTEGER_DIGITS)
# The domain's rule (check_account_name), as the schema can say it: 1-100, not only blanks, no NUL.
AccountName = Annotated[str, StringConstraints(min_length=1, max_length=ACCOUNT_NAME_MAX, pattern=NOT_BLANK)]


class AccountIn(InputModel):
    name: AccountName | None = None


class DepositIn(InputModel):
    amount: AmountIn  # type: ignore[valid-type]


class TransferFundsIn(InputModel):
    from_account_id: Id
    to_account_id: Id
    amount: AmountIn  # type: ignore[valid-type]


class AccountOut(OutputModel):
    id: int
    owner_id: int
    name: str
    balance: AmountOut  # type: ignore[valid-type]
    created_at: Timestamp


class EntryOut(OutputModel):
    id: int
    kind: EntryKind
    amount: AmountOut  # type: ignore[valid-type]
    balance_after: AmountOut  # type: ignore[valid-type]
    transfer_id: int | None
    order_id: int | None
    created_at: Timestamp


class TransferOut(OutputModel):
    id: int
    from_account_id: int
    to_account_id: int
    amount: AmountOut  # type: ignore[valid-type]
    created_at: Timestamp
