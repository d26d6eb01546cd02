"""Catalog routes: ``/items``, ``/items/batch``, ``/items/{id}/transfer``, ``/tags``,
``/users/{id}/items`` and ``/stats/items``. Parse, call a use case, shape the response (and the
``ETag``); rules, authorisation and preconditions live in ``application.catalog``."""

from __future__ import annotations

from typing import Annotated, Any

from dependency_injector.wiring import inject
from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import StringConstraints

from application import catalog
from application.catalog.views import ItemView
from application.pagination import PageParams
from domain.catalog import PRICE_PATTERN
from infrastructure.container import Container
from interfaces.http.auth import CurrentActor
from interfaces.http.di import Provide
from interfaces.http.paging import page_params
from interfaces.http.problems import problem_responses
from interfaces.http.schemas.catalog import (
    TAG_NAME_PATTERN,
    BatchIn,
    BatchOut,
    ItemIn,
    ItemOut,
    ItemPatchIn,
    ItemPutIn,
    ItemStatsOut,
    TagOut,
    TransferIn,
    item_document,
)
from interfaces.http.schemas.common import (
    ID_BOUND,
    IdPath,
    IfMatch,
    PageOut,
    QueryText,
    json_response,
    page_document,
    page_out,
    patch_command,
)

router = APIRouter()
C = Container.catalog
AUTH = (401, 403)
BODY = (400, 413)  # malformed JSON, body over the size limit
ItemPage = Annotated[PageParams, Depends(page_params(catalog.ITEM_SORTS, "created_at"))]
TagPage = Annotated[PageParams, Depends(page_params(catalog.TAG_SORTS, "name"))]
MoneyQuery = Annotated[
    str | None, Query(max_length=40, pattern=PRICE_PATTERN, description="Decimal, at most two places")
]
TagFilter = Annotated[str, StringConstraints(pattern=TAG_NAME_PATTERN)]


def _item(view: ItemView, response: Response) -> ItemOut:
    response.headers["ETag"] = view.etag
    return ItemOut.model_validate(view)


@router.post(
    "/items",
    name="items-create",
    status_code=201,
    response_model=ItemOut,
    tags=["items"],
    responses=problem_responses(*BODY, *AUTH, 409, 422),
)
@inject
async def create_item(
    body: ItemIn,
    actor: CurrentActor,
    request: Request,
    response: Response,
    create: catalog.CreateItem = Depends(Provide[C.create_item]),
) -> ItemOut:
    cmd = catalog.CreateItemCommand(body.title, body.price, body.description, body.is_active, body.tags)
    view = await create(actor, cmd)
    response.headers["Location"] = request.app.url_path_for("items-read", item_id=view.id)
    return _item(view, response)


@router.get(
    "/items",
    name="items-list",
    response_model=PageOut[ItemOut],
    tags=["items"],
    responses=problem_responses(400, 422),
)
@inject
async def list_items(
    *,
    q: Annotated[QueryText | None, Query(min_length=1, max_length=200, description="Title contains")] = None,
    min_price: MoneyQuery = None,
    max_price: MoneyQuery = None,
    tag: Annotated[
        list[TagFilter], Query(max_length=catalog.MAX_TAG_FILTERS, description="Items carrying all of these")
    ] = [],  # noqa: B006 - FastAPI copies the default
    owner_id: Annotated[int | None, Query(ge=1, lt=ID_BOUND)] = None,
    is_active: bool = True,
    page: ItemPage,
    list_items: catalog.ListItems = Depends(Provide[C.list_items]),
) -> Response:
    query = catalog.ListItemsQuery(q, min_price, max_price, tuple(tag), owner_id, is_active)
    return json_response(page_document(item_document, await list_items(query, page)))


@router.post(
    "/items/batch",
    name="items-create-batch",
    response_model=BatchOut,
    tags=["items"],
    responses=problem_responses(*BODY, *AUTH, 422),
)
@inject
async def batch_create_items(
    body: BatchIn,
    actor: CurrentActor,
    request: Request,
    batch: catalog.BatchCreateItems = Depends(Provide[C.batch_create_items]),
) -> BatchOut:
    """Each element is validated and stored on its own (own savepoint): the response lists every
    index as `created` (with its id) or `failed` (with a problem object)."""
    return BatchOut.of(await batch(actor, body.items), instance=request.url.path)


@router.get(
    "/items/{item_id:int}",
    name="items-read",
    response_model=ItemOut,
    tags=["items"],
    responses=problem_responses(404, 422),
)
@inject
async def read_item(item_id: IdPath, get_item: catalog.GetItem = Depends(Provide[C.get_item])) -> Response:
    view = await get_item(item_id)
    return json_response(item_document(view), headers={"ETag": view.etag})


@router.put(
    "/items/{item_id:int}",
    name="items-replace",
    response_model=ItemOut,
    tags=["items"],
    responses=problem_responses(*BODY, *AUTH, 404, 409, 412, 422),
)
@inject
async def replace_item(
    item_id: IdPath,
    body: ItemPutIn,
    actor: CurrentActor,
    response: Response,
    if_match: IfMatch = None,
    replace: catalog.ReplaceItem = Depends(Provide[C.replace_item]),
) -> ItemOut:
    cmd = catalog.ReplaceItemCommand(body.title, body.price, body.description, body.is_active, body.tags)
    return _item(await replace(actor, item_id, cmd, if_match=if_match), response)


@router.patch(
    "/items/{item_id:int}",
    name="items-patch",
    response_model=ItemOut,
    tags=["items"],
    responses=problem_responses(*BODY, *AUTH, 404, 409, 412, 422),
)
@inject
async def patch_item(
    item_id: IdPath,
    body: ItemPatchIn,
    actor: CurrentActor,
    response: Response,
    if_match: IfMatch = None,
    patch: catalog.PatchItem = Depends(Provide[C.patch_item]),
) -> ItemOut:
    cmd = patch_command(body, catalog.PatchItemCommand)
    return _item(await patch(actor, item_id, cmd, if_match=if_match), response)


@router.delete(
    "/items/{item_id:int}",
    name="items-delete",
    status_code=204,
    tags=["items"],
    responses=problem_responses(*AUTH, 404, 409, 412, 422),
)
@inject
async def delete_item(
    item_id: IdPath,
    actor: CurrentActor,
    if_match: IfMatch = None,
    delete: catalog.DeleteItem = Depends(Provide[C.delete_item]),
) -> Response:
    """204; 409 `conflict` while an order references the item (deactivate it instead)."""
    await delete(actor, item_id, if_match=if_match)
    return Response(status_code=204)


@router.post(
    "/items/{item_id:int}/transfer",
    name="items-transfer",
    response_model=ItemOut,
    tags=["items"],
    responses=problem_responses(*BODY, *AUTH, 404, 409, 422),
)
@inject
async def transfer_item(
    item_id: IdPath,
    body: TransferIn,
    actor: CurrentActor,
    response: Response,
    transfer: catalog.TransferItem = Depends(Provide[C.transfer_item]),
) -> ItemOut:
    """Unknown, deleted or inactive new owner → 422; a title the new owner already uses → 409."""
    return _item(await transfer(actor, item_id, body.new_owner_id), response)


@router.get(
    "/users/{user_id:int}/items",
    name="users-list-items",
    response_model=PageOut[ItemOut],
    tags=["users"],
    responses=problem_responses(400, 404, 422),
)
@inject
async def list_user_items(
    *,
    user_id: IdPath,
    page: ItemPage,
    list_user_items: catalog.ListUserItems = Depends(Provide[C.list_user_items]),
) -> Response:
    """That user's active items with their tags; unknown or deleted users are 404."""
    return json_response(page_document(item_document, await list_user_items(user_id, page)))


@router.get(
    "/tags",
    name="tags-list",
    response_model=PageOut[TagOut],
    tags=["tags"],
    responses=problem_responses(400, 422),
)
@inject
async def list_tags(
    *,
    page: TagPage,
    list_tags: catalog.ListTags = Depends(Provide[C.list_tags]),
) -> dict[str, Any]:
    """Every tag with the number of items carrying it."""
    return page_out(TagOut, await list_tags(page))


@router.get("/stats/items", name="stats-items", response_model=ItemStatsOut, tags=["stats"])
@inject
async def item_stats(stats: catalog.GetItemStats = Depends(Provide[C.item_stats])) -> ItemStatsOut:
    """Totals; prices over active items (null when there are none); the 10 most used tags."""
    return ItemStatsOut.model_validate(await stats())
