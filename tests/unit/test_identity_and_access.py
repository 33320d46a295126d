"""ID numbers never stored in clear; the role matrix."""

from __future__ import annotations

import pytest

from queue_server.domain.access import (
    MATRIX,
    DeviceKind,
    Forbidden,
    Permission,
    Principal,
    Role,
    Unauthenticated,
    require,
)
from queue_server.domain.errors import InvalidInput
from queue_server.domain.identity import id_digest, normalise_id_number

VALID_ID = "11010519491231002X"


def test_a_valid_resident_id_is_normalised() -> None:
    assert normalise_id_number(" 110105 19491231 002x ") == VALID_ID


def test_a_wrong_check_digit_is_refused() -> None:
    with pytest.raises(InvalidInput, match="校验位"):
        normalise_id_number("110105194912310021")


@pytest.mark.parametrize("raw", ["", "12", "身份证", "A" * 30])
def test_garbage_is_refused(raw: str) -> None:
    with pytest.raises(InvalidInput):
        normalise_id_number(raw)


def test_passports_are_accepted() -> None:
    assert normalise_id_number("e12345678") == "E12345678"


def test_the_digest_is_keyed_and_hides_the_number() -> None:
    a = id_digest(VALID_ID, b"k1")
    assert a == id_digest(VALID_ID.lower(), b"k1")
    assert a != id_digest(VALID_ID, b"k2")
    assert VALID_ID not in a and "19491231" not in a


def test_every_permission_has_a_row_and_only_admins_configure() -> None:
    assert set(MATRIX) == set(Permission)
    assert MATRIX[Permission.CONFIGURE_HALL] == {Role.ADMIN}
    assert not any(isinstance(actor, DeviceKind) for actor in MATRIX[Permission.OPERATE_WINDOW])


def test_require_checks_identity_role_and_hall() -> None:
    guide = Principal(Role.GUIDE, "g", hall_id=1, user_id=1)
    with pytest.raises(Unauthenticated):
        require(None, Permission.ISSUE_TICKET, 1)
    assert require(guide, Permission.ISSUE_TICKET, 1) is guide
    with pytest.raises(Forbidden, match="不属于"):
        require(guide, Permission.ISSUE_TICKET, 2)
    with pytest.raises(Forbidden, match="无权"):
        require(guide, Permission.OPERATE_WINDOW, 1)
    admin = Principal(Role.ADMIN, "a", hall_id=None, user_id=2)
    assert require(admin, Permission.CONFIGURE_HALL, 99) is admin


def test_a_hall_that_does_not_exist_is_refused_like_another_halls() -> None:
    """`None`: no such hall. Only those who see every hall get through (to a 404)."""
    guide = Principal(Role.GUIDE, "g", hall_id=1, user_id=1)
    for hall_id in (2, None):
        with pytest.raises(Forbidden) as caught:
            require(guide, Permission.ISSUE_TICKET, hall_id)
        assert (caught.value.detail, caught.value.extra) == (
            "您的账号或设备不属于这个大厅",
            {"permission": "issue_ticket"},
        )
    with pytest.raises(Unauthenticated):
        require(None, Permission.VIEW_HALL, None)
    admin = Principal(Role.ADMIN, "a", hall_id=None, user_id=2)
    assert require(admin, Permission.CONFIGURE_HALL, None) is admin
