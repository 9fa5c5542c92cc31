"""CloudFormation resource types labkit adds to moto: their base class and the patch that adds them.

moto's CloudFormation parser knows a resource type by a direct subclass of its
`CloudFormationModel`. A service whose resources moto lacks (or creates wrongly) writes them as
`ResourceModel` subclasses beside itself (`apigateway/resources.py`, `cloudformation/resources.py`)
and adds them from its `install` with `add_to_parser(set_, models)`: one patch of the parser
carries every service's models, and `uninstall` takes it off again.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable, Iterable

from moto.core.common_models import CloudFormationModel

from .patching import when_imported
from .registry import MotoName

__all__ = ["ResourceModel", "backend", "add_to_parser", "PARSER_PATCHES"]

# What add_to_parser patches: declare it in the PATCHES of every module that calls it.
PARSER_PATCHES = (
    MotoName("moto.cloudformation.parsing", "get_model_map", "()"),
    MotoName("moto.cloudformation.parsing", "get_model_list", "()"),
)


def backend(service: str, account_id: str, region: str) -> Any:
    """moto's backend of a service (`"sns"`, `"awslambda"`, `"apigatewayv2"`, ...) in one account and region."""
    module = importlib.import_module(f"moto.{service}.models")
    name = "lambda_backends" if service == "awslambda" else f"{service}_backends"
    return getattr(module, name)[account_id][region]


class ResourceModel(CloudFormationModel):
    """A resource type labkit creates: its physical id and GetAtt attributes.

    Subclasses set `TYPE` and `ATTRIBUTES` and write `create_from_cloudformation_json`; an update
    deletes and creates again, and deleting does nothing unless a subclass says how.
    """

    TYPE = ""
    ATTRIBUTES: tuple[str, ...] = ()

    def __init__(self, physical_id: str, **attributes: Any) -> None:
        self._physical_id = physical_id
        self._attributes = attributes

    @property
    def physical_resource_id(self) -> str:
        return self._physical_id

    @classmethod
    def cloudformation_type(cls) -> str:
        return cls.TYPE

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in cls.ATTRIBUTES

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        if attribute_name in self._attributes:
            return self._attributes[attribute_name]
        raise UnformattedGetAttTemplateException()

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[misc]
        cls, original_resource: Any, new_resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> Any:
        cls.delete_from_cloudformation_json(original_resource.physical_resource_id, cloudformation_json, account_id, region_name)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        return None


def add_to_parser(set_: Callable[[Any, str, Any], None], models: Iterable[type[ResourceModel]]) -> None:
    """Make moto's CloudFormation parser create `models` (a type labkit writes replaces moto's).

    Every service's models go through one patch of the parser (the first call of an install
    makes it, later ones add to it). moto.cloudformation.parsing imports every service (~2 s):
    patched on its first import.
    """
    ours = {model.TYPE: model for model in models}

    def patch_parsing() -> None:
        import moto.cloudformation.parsing as parsing

        added = getattr(parsing.get_model_map, "labkit_models", None)
        if added is None:
            added = _patch_parser(set_, parsing)
        added.update(ours)

    when_imported("moto.cloudformation.parsing", patch_parsing)


def _patch_parser(set_: Callable[[Any, str, Any], None], parsing: Any) -> dict[str, type[ResourceModel]]:
    """Layer a table of labkit's models over moto's model map and list; returns the (empty) table."""
    original_map, original_list = parsing.get_model_map, parsing.get_model_list
    added: dict[str, type[ResourceModel]] = {}

    def get_model_map() -> dict[str, Any]:
        return {**original_map(), **added}

    get_model_map.labkit_models = added  # type: ignore[attr-defined]
    set_(parsing, "get_model_map", get_model_map)
    set_(parsing, "get_model_list", lambda: [*original_list(), *added.values()])
    return added
