"""The rules of the clerk's side of a window: which clerks may open which window, when
opening a window is covering for its own clerk (顶岗), and when a call needs a reason.

Pure: the services pass the hall file, who asks and what routing would call next."""

from __future__ import annotations

from dataclasses import dataclass

from queue_server.domain.errors import ReasonRequired, WindowNotAllowed
from queue_server.domain.hall import HallSpec
from queue_server.domain.tickets import TicketStatus


@dataclass(frozen=True)
class Standing:
    """A clerk at a window they may open. `covering`: it is not their own window (顶岗)
    and the hall file gives them one (`own`), or names them in the window's `cover`."""

    covering: bool
    own: tuple[int, ...]  # the clerk's own windows, as the hall file names them


def own_windows(hall: HallSpec, username: str | None) -> tuple[int, ...]:
    """The windows whose `clerks` name this clerk."""
    return tuple(w.number for w in hall.windows if username is not None and username in w.clerks)


def may_open(hall: HallSpec, number: int, username: str | None) -> bool:
    """Whether the clerk may open window `number`: any clerk of the hall where the window
    names no clerks, else those it names in `clerks` or `cover`."""
    spec = hall.window(number)
    return not spec.clerks or (username is not None and (username in spec.clerks or username in spec.cover))


def standing(hall: HallSpec, number: int, username: str | None) -> Standing:
    """The clerk's standing at window `number`; refused (403) where the hall file names
    other clerks for it."""
    spec = hall.window(number)
    if not may_open(hall, number, username):
        names = "、".join(spec.clerks)
        raise WindowNotAllowed(
            f"{number} 号窗口只由指定人员开窗（{names}）："
            "请在您自己的窗口开窗，或请管理员在大厅配置中把您加入该窗口的 cover",
            window=number,
        )
    own = own_windows(hall, username)
    mine = username is not None and username in spec.clerks
    covering = not mine and (bool(own) or (username is not None and username in spec.cover))
    return Standing(covering=covering, own=own if covering else ())


def out_of_order(status: TicketStatus, no_shows: int, is_next: bool) -> bool:
    """Whether calling this ticket by number passes over citizens who came first: it waits
    in line, `call_next` would not call it now, and it never missed a call. A no-show who
    came back (recallable, or put back in line) was called in turn once already."""
    return status is TicketStatus.WAITING and not is_next and no_shows == 0


def require_order_reason(number: str, status: TicketStatus, no_shows: int, is_next: bool, reason: str | None) -> None:
    """A call out of the line's order (`out_of_order`) needs the clerk's reason, which the
    hall's log and the audit log keep; any other call by number needs none."""
    if out_of_order(status, no_shows, is_next) and not (reason and reason.strip()):
        raise ReasonRequired(
            f"{number} 不是下一位：不按顺序叫号须填写原因（reason），原因记入日志", field="reason", number=number
        )
