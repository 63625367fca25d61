"""The public surface: every module lists its exports, and every listed name exists."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import adapters
import publisher


def _modules() -> list[str]:
    names = []
    for package in (publisher, adapters):
        for info in pkgutil.walk_packages(package.__path__, prefix=package.__name__ + "."):
            if ".migrations" not in info.name and not info.name.endswith("__main__"):
                names.append(info.name)
    return names


@pytest.mark.parametrize("name", ["adapters", *[m for m in _modules() if m.startswith("adapters.")]])
def test_adapter_modules_declare_and_define_their_exports(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    for symbol in exported:
        assert hasattr(module, symbol), f"{name}.__all__ names {symbol}, which does not exist"


def test_the_registry_maps_each_kind_to_a_class_with_that_kind() -> None:
    for kind, cls in adapters.REGISTRY.items():
        assert cls.kind == kind
        assert cls.idempotency in ("native", "lookup", "none")


def test_the_typed_marker_ships() -> None:
    from importlib import resources

    assert resources.files("publisher").joinpath("py.typed").is_file()
    assert resources.files("adapters").joinpath("py.typed").is_file()
