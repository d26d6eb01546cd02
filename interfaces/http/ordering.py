"""Ordering routes: ``/orders``, ``/orders/{id}``, ``/orders/{id}/pay`` and
``/orders/{id}/status``. Parse, call a use case, answer; the rules, who may do what, the money
and idempotency live in ``application.ordering``, ``domain.ordering`` and
``application.idempotency``."""

from __future__ import annotations

from typing import Annotated, Any

from dependency_injector.wiring import inject
from fastapi import APIRouter, Depends, Query, Request, Response

from application import ordering
from application.pagination import PageParams
from infrastructure.container import Container
from interfaces.http.auth import CurrentActor
from interfaces.http.di import Provide
from interfaces.http.idempotency import IdempotencyKey, answer, idempotency
from interfaces.http.paging import page_params
from interfaces.http.problems import problem_responses
from interfaces.http.schemas.common import IdPath, PageOut, page_out
from interfaces.http.schemas.ordering import (
    OrderIn,
    OrderOut,
    OrderStatusIn,
    PayIn,
    PlacedOrderOut,
    RoleName,
    StatusName,
)

router = APIRouter()
C = Container.ordering
AUTH = (401, 403)
BODY = (400, 413)
OrderPage = Annotated[PageParams, Depends(page_params(ordering.ORDER_SORTS, "-created_at"))]


@router.post(
    "/orders",
    name="orders-create",
    status_code=201,
    response_model=PlacedOrderOut,
    tags=["orders"],
    responses=problem_responses(*BODY, *AUTH, 409, 422),
)
@inject
async def place_order(
    body: OrderIn,
    actor: CurrentActor,
    request: Request,
    key: IdempotencyKey = None,
    place_order: ordering.PlaceOrder = Depends(Provide[C.place_order]),
) -> Response:
    """A pending order of the caller. Each line copies its item's title and price now; unknown,
    inactive or own items are left out and listed in `rejected_lines` (by index, with the
    reason); when every line is left out: 422 and no order. `Idempotency-Key` honoured."""
    lines = [ordering.OrderLineCommand(line.item_id, line.quantity) for line in body.lines]
    how = await idempotency(request, actor, key, PlacedOrderOut, 201)
    return answer(await place_order(actor, ordering.PlaceOrderCommand(lines), how))


@router.get(
    "/orders",
    name="orders-list",
    response_model=PageOut[OrderOut],
    tags=["orders"],
    responses=problem_responses(*AUTH, 400, 422),
)
@inject
async def list_orders(
    *,
    actor: CurrentActor,
    role: Annotated[
        RoleName | None,
        Query(description="`buyer` (default): what the caller bought; `seller`: orders with their items"),
    ] = None,
    status: Annotated[StatusName | None, Query(description="Only orders in this status")] = None,
    page: OrderPage,
    list_orders: ordering.ListOrders = Depends(Provide[C.list_orders]),
) -> dict[str, Any]:
    """The caller's orders as buyer (`role=seller`: orders containing their items); a superuser
    without `role` sees every order. Newest first by default."""
    return page_out(OrderOut, await list_orders(actor, ordering.ListOrdersQuery(role, status), page))


@router.get(
    "/orders/{order_id:int}",
    name="orders-read",
    response_model=OrderOut,
    tags=["orders"],
    responses=problem_responses(*AUTH, 404, 422),
)
@inject
async def read_order(
    order_id: IdPath,
    actor: CurrentActor,
    get_order: ordering.GetOrder = Depends(Provide[C.get_order]),
) -> OrderOut:
    """The buyer, the sellers of its lines and superusers; anyone else gets the 404 of an
    unknown order."""
    return OrderOut.model_validate(await get_order(actor, order_id))


@router.post(
    "/orders/{order_id:int}/pay",
    name="orders-pay",
    response_model=OrderOut,
    tags=["orders"],
    responses=problem_responses(*BODY, *AUTH, 404, 409, 422),
)
@inject
async def pay_order(
    order_id: IdPath,
    body: PayIn,
    actor: CurrentActor,
    request: Request,
    key: IdempotencyKey = None,
    pay_order: ordering.PayOrder = Depends(Provide[C.pay_order]),
) -> Response:
    """The buyer pays a pending order from one of their accounts (another account: 404): the
    total out of it, each seller's line totals into that seller's oldest account, the order to
    `processing`, in one transaction. 409 `insufficient-funds`, `conflict` (a seller without an
    account), `invalid-transition` (not pending); nothing partial ever remains; 403 for a
    seller or superuser who is not the buyer. `Idempotency-Key` honoured."""
    how = await idempotency(request, actor, key, OrderOut, 200)
    return answer(await pay_order(actor, order_id, ordering.PayOrderCommand(body.account_id), how))


@router.post(
    "/orders/{order_id:int}/status",
    name="orders-change-status",
    response_model=OrderOut,
    tags=["orders"],
    responses=problem_responses(*BODY, *AUTH, 404, 409, 422),
)
@inject
async def change_order_status(
    order_id: IdPath,
    body: OrderStatusIn,
    actor: CurrentActor,
    change_status: ordering.ChangeOrderStatus = Depends(Provide[C.change_order_status]),
) -> OrderOut:
    """The buyer may cancel (a paid order is refunded in the same transaction); sellers and
    superusers move it forward (`processing → shipped → delivered`; `pending → processing` is
    the payment). Anything else: 409 `invalid-transition` with `allowed`, the statuses this
    caller could move it to now."""
    return OrderOut.model_validate(await change_status(actor, order_id, body.status))
