"""Money on the wire: in, a decimal string or a JSON number with at most two places, parsed by
the domain (so the HTTP layer, the CLI and batch imports share one rule); out, a string with
exactly two places. Never a binary float."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema

from domain.errors import InvalidInput
from domain.money import money_pattern


def money_in(parse: Callable[[object], Decimal], integer_digits: int, *, positive: bool = False) -> Any:
    """An input type that parses with ``parse`` (a domain rule) and documents what it accepts."""

    def validate(value: object) -> Decimal:
        try:
            return parse(value)
        except InvalidInput as error:
            raise ValueError(error.detail) from error

    number: dict[str, Any] = {
        "type": "number",
        "exclusiveMaximum": float(10**integer_digits),
        "multipleOf": 0.01,
    }
    number.update({"exclusiveMinimum": 0} if positive else {"minimum": 0})
    return Annotated[
        Decimal,
        PlainValidator(validate),
        WithJsonSchema(
            {
                "anyOf": [
                    {
                        "type": "string",
                        "pattern": money_pattern(integer_digits, positive=positive),
                        "examples": ["19.90"],
                    },
                    number,
                ]
            }
        ),
    ]


def money_out(integer_digits: int) -> Any:
    return Annotated[
        Decimal,
        PlainSerializer(lambda v: f"{v:.2f}", return_type=str),
        WithJsonSchema(
            {"type": "string", "pattern": rf"^\d{{1,{integer_digits}}}\.\d{{2}}$", "examples": ["19.90"]}
        ),
    ]
