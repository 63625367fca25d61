"""Every adapter validates its table from its declared options, and an error names the key: the cases come from the
declaration itself (a required key left out, a value of the wrong type, a choice not offered, an address without
a scheme, a secret's variable not set, an unknown key), once for every kind, each built against its stand-in."""

from __future__ import annotations

from typing import Any

import pytest

from adapters import REGISTRY
from adapters.errors import AdapterConfigError
from adapters.options import Option
from tests.contract.test_adapters import FAKES, KINDS

UNSET = "PUBLISHER_TEST_NEVER_SET"


def wrong_values(option: Option) -> list[Any]:
    """Values the declaration alone says are wrong for ``option`` (None: the key left out)."""
    values: list[Any] = [None] if option.required else []
    if option.secret:
        return [*values, UNSET]
    if option.choices:
        values.append("not-one-of-the-choices")
    if option.url:
        values.append("example.org")
    if option.type in (int, float):
        values.append("ten")
    elif option.type in (list, dict, bool):
        values.append("x")
    elif option.type is str and not option.choices:
        values.append(7)
    return values


CASES = [
    pytest.param(kind, option.name, value, id=f"{kind}-{option.name}-{value!r}")
    for kind in KINDS
    for option in REGISTRY[kind].options
    if option.documented
    for value in wrong_values(option)
]


@pytest.mark.parametrize(("kind", "key", "value"), CASES)
def test_a_wrong_value_is_refused_naming_its_key(kind: str, key: str, value: Any) -> None:
    with pytest.raises(AdapterConfigError) as caught:
        FAKES[kind]().offline(REGISTRY[kind], **{key: value})
    assert caught.value.key == key, caught.value
    if value == UNSET:  # the message names the variable to export
        assert f"the environment variable {UNSET} is not set" in caught.value.message


@pytest.mark.parametrize("kind", KINDS)
def test_an_unknown_key_is_refused_with_the_known_ones(kind: str) -> None:
    with pytest.raises(AdapterConfigError, match="unknown option") as caught:
        FAKES[kind]().offline(REGISTRY[kind], tiemout=10)
    assert caught.value.key == "tiemout"
    assert "timeout" in caught.value.message
