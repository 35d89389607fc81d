"""Base classes: tolerant read models and strict input models with camelCase wire aliases."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import AliasChoices, AliasGenerator, BaseModel, ConfigDict, TypeAdapter
from pydantic.alias_generators import to_camel

from anaplan_mcp.models._errors import describe_validation_error, register_field_names
from anaplan_mcp.models._types import REVEAL_SECRETS

__all__ = ["InputModel", "WireModel", "describe_validation_error", "quiet_adapter"]


def _snake_or_camel(name: str) -> AliasChoices | str:
    # snake_case first: JSON schemas (what the AI model reads) take the first choice. A plain
    # name for one-word fields, since discriminators such as "type" cannot use AliasChoices.
    camel = to_camel(name)
    return AliasChoices(name, camel) if camel != name else name


class _CloudWorksModel(BaseModel):
    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        register_field_names(cls.model_fields)


class WireModel(_CloudWorksModel):
    """A CloudWorks response object: reads camelCase or snake_case, dumps snake_case."""

    model_config: ClassVar[ConfigDict] = ConfigDict(
        alias_generator=AliasGenerator(validation_alias=_snake_or_camel),
        extra="ignore",
        validate_by_name=True,
        validate_by_alias=True,
        loc_by_alias=False,
        hide_input_in_errors=True,
        defer_build=True,
    )


class InputModel(_CloudWorksModel):
    """A request body: snake_case (or camelCase) in, unknown fields refused, camelCase out."""

    model_config: ClassVar[ConfigDict] = ConfigDict(
        alias_generator=AliasGenerator(
            validation_alias=_snake_or_camel, serialization_alias=to_camel
        ),
        extra="forbid",
        validate_by_name=True,
        validate_by_alias=True,
        loc_by_alias=False,
        hide_input_in_errors=True,
        defer_build=True,
    )

    def to_wire(self) -> dict[str, Any]:
        """The camelCase JSON body, None omitted; the only place secrets are revealed."""
        return self.model_dump(
            mode="json", by_alias=True, exclude_none=True, context={REVEAL_SECRETS: True}
        )


def quiet_adapter(annotation: Any) -> TypeAdapter[Any]:
    """A TypeAdapter for a union of models whose errors never include input values."""
    return TypeAdapter(annotation, config=ConfigDict(hide_input_in_errors=True, defer_build=True))
