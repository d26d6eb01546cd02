"""Request and response schemas of the ordering context."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Literal, get_args

from pydantic import Field

from domain.ledger import AMOUNT_INTEGER_DIGITS
from domain.ordering import LINES_MAX, QUANTITY_MAX, LineRejection, OrderStatus
from interfaces.http.schemas.common import Id, InputModel, OutputModel, Timestamp, WholeNumber
from interfaces.http.schemas.money import money_out

if TYPE_CHECKING:  # a Decimal to mypy (whose pydantic plugin re-declares inherited fields)
    MoneyOut = Decimal
else:
    MoneyOut = money_out(AMOUNT_INTEGER_DIGITS)
Quantity = Annotated[int, Field(ge=1, le=QUANTITY_MAX), WholeNumber]
# The statuses as the wire spells them (a Literal: strict models take the JSON string).
StatusName = Literal["pending", "processing", "shipped", "delivered", "cancelled"]
RoleName = Literal["buyer", "seller"]
assert set(get_args(StatusName)) == {status.value for status in OrderStatus}


class OrderLineIn(InputModel):
    item_id: Id
    quantity: Quantity


class OrderIn(InputModel):
    lines: Annotated[list[OrderLineIn], Field(min_length=1, max_length=LINES_MAX)]


class PayIn(InputModel):
    account_id: Id


class OrderStatusIn(InputModel):
    status: StatusName


class OrderLineOut(OutputModel):
    item_id: int
    title: str
    quantity: int
    unit_price: MoneyOut
    line_total: MoneyOut


class OrderOut(OutputModel):
    id: int
    buyer_id: int
    status: OrderStatus
    lines: list[OrderLineOut]
    total: MoneyOut
    paid_from_account_id: int | None
    created_at: Timestamp
    updated_at: Timestamp


class RejectedLineOut(OutputModel):
    index: int = Field(description="Position of the line in the request's `lines`")
    item_id: int
    reason: LineRejection


class PlacedOrderOut(OrderOut):
    rejected_lines: list[RejectedLineOut]
