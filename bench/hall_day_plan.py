"""The large hall of `bench.hall_day` and the plan of its day: the hall file (zones,
queues, windows), what each queue's citizens need (volume, handling time, transfers),
and the arrivals, in day hours, that the desks and kiosks issue.

A city hall of 64 windows in three zones: the ground floor's comprehensive acceptance
(前台综合受理, three comprehensive queues by area), result windows (统一窗口出件) and the
"办不成事" reflection window; five specialised service areas (专业受理服务区, at most six)
over two floors. About 6,200 tickets a day with the morning and afternoon peaks of
`bench.eta`'s arrival model; windows loaded to about 85 % of the day on average, so the
peaks build lines that drain before closing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from bench.eta import peaked_arrivals
from tests.support.live import HALL

DAY_START = 8.5  # the compressed day begins at 08:30 (desks and kiosks start issuing)
OPENING = 9.0  # windows open
ISSUING_ENDS = 17.0  # the last arrival; the windows serve on until every line is empty


@dataclass(frozen=True)
class QueuePlan:
    code: str
    prefix: str
    name: str
    kind: str  # comprehensive, specialised, pickup, reflection
    zone: str
    windows: int  # windows serving it first (rank 1)
    volume: int  # tickets a day on average
    mean_minutes: float  # the true mean handling time (lognormal, CV 0.6)
    no_show: str  # the hall file's policy: void, requeue, recallable
    transfers: tuple[tuple[str, float], ...] = ()  # (to queue, share of its served tickets)


ZONES = (("1f", "一楼综合受理区"), ("2f", "二楼专业受理服务区"), ("3f", "三楼专业受理服务区"))

QUEUES = (
    QueuePlan(
        "invest",
        "A",
        "综合受理·投资建设",
        "comprehensive",
        "1f",
        8,
        650,
        4.5,
        "requeue",
        (("pickup", 0.05), ("real-estate", 0.01)),
    ),
    QueuePlan(
        "market",
        "B",
        "综合受理·市场准入",
        "comprehensive",
        "1f",
        9,
        880,
        3.5,
        "requeue",
        (("pickup", 0.05), ("enterprise", 0.02)),
    ),
    QueuePlan(
        "social",
        "C",
        "综合受理·社会事务",
        "comprehensive",
        "1f",
        9,
        900,
        3.2,
        "requeue",
        (("pickup", 0.04), ("social-insurance", 0.02)),
    ),
    QueuePlan("pickup", "G", "出件发证", "pickup", "1f", 4, 900, 1.5, "recallable"),
    QueuePlan("reflection", "H", "办不成事反映", "reflection", "1f", 1, 40, 8.0, "recallable"),
    QueuePlan("real-estate", "J", "不动产登记", "specialised", "2f", 10, 700, 5.0, "requeue", (("reflection", 0.005),)),
    QueuePlan("enterprise", "M", "企业开办", "specialised", "2f", 5, 300, 6.0, "recallable", (("reflection", 0.005),)),
    QueuePlan("tax", "P", "税务办理", "specialised", "2f", 5, 500, 3.5, "requeue", (("reflection", 0.005),)),
    QueuePlan(
        "social-insurance", "K", "社保医保", "specialised", "3f", 7, 800, 3.0, "requeue", (("reflection", 0.005),)
    ),
    QueuePlan("household", "L", "公安户政", "specialised", "3f", 4, 450, 3.2, "void", (("reflection", 0.005),)),
    QueuePlan(
        "cross-province", "N", "跨省通办", "specialised", "3f", 2, 110, 6.0, "recallable", (("household", 0.03),)
    ),
)
BY_CODE = {q.code: q for q in QUEUES}
# Windows that also serve a second queue (rank 2) when their own line is empty: the last
# window of each comprehensive area helps the result windows, cross-province helps
# household, one tax window helps enterprise start-up.
SECOND = {
    "invest": "pickup",
    "market": "pickup",
    "social": "pickup",
    "cross-province": "household",
    "tax": "enterprise",
}

PRIORITY_SHARE = 0.06  # 绿色通道 at issue
KIOSK_SHARE = 0.4  # of the tickets, issued at a kiosk; the rest at a guidance desk
CANCEL_SHARE = 0.01  # the citizen leaves: the desk cancels the ticket a while later
NO_SHOW_SHARE = 0.05  # of calls, nobody comes
SUSPEND_SHARE = 0.015  # of services, the citizen goes to fetch papers (挂起)
SERVICE_CV = 0.6


@dataclass(frozen=True)
class WindowPlan:
    number: int
    zone: str
    serves: tuple[str, ...]  # first rank 1, then rank 2

    @property
    def clerk(self) -> str:
        return f"clerk{self.number}"


def windows() -> list[WindowPlan]:
    plans: list[WindowPlan] = []
    for queue in QUEUES:
        for index in range(queue.windows):
            serves = (queue.code,)
            if index == queue.windows - 1 and queue.code in SECOND:
                serves += (SECOND[queue.code],)
            plans.append(WindowPlan(len(plans) + 1, queue.zone, serves))
    return plans


def hall_toml() -> str:
    """The hall file: open at any hour (the day is compressed; the plan keeps its hours)."""
    lines = [
        "[hall]",
        f'code = "{HALL}"',
        'name = "市民之家政务服务中心"',
        'timezone = "Asia/Shanghai"',
        "always_open = true",
        "show_clerk_names = true",
        "",
        "[hall.hours]",
        *(f'{day} = ["00:00-24:00"]' for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")),
    ]
    for code, name in ZONES:
        lines += ["", "[[zones]]", f'code = "{code}"', f'name = "{name}"']
    for queue in QUEUES:
        policy = (
            '{ policy = "requeue", requeue_after = 3 }'
            if queue.no_show == "requeue"
            else f'{{ policy = "{queue.no_show}" }}'
        )
        lines += [
            "",
            "[[queues]]",
            f'code = "{queue.code}"',
            f'prefix = "{queue.prefix}"',
            f'name = "{queue.name}"',
            f'kind = "{queue.kind}"',
            "daily_cap = 999",
            f"avg_service_minutes = {max(1, round(queue.mean_minutes))}",
            f"no_show = {policy}",
            f"priority = {{ max_in_row = {0 if queue.kind == 'reflection' else 2} }}",
        ]
    for plan in windows():
        serves = ", ".join(f'{{ queue = "{code}", rank = {rank} }}' for rank, code in enumerate(plan.serves, start=1))
        name = BY_CODE[plan.serves[0]].name.split("·")[-1]
        lines += [
            "",
            "[[windows]]",
            f"number = {plan.number}",
            f'name = "{name}{plan.number}号窗口"',
            f'zone = "{plan.zone}"',
            f"serves = [{serves}]",
        ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Arrival:
    hour: float  # day hour, 8.5 .. 17
    queue: str
    kiosk: bool
    priority: bool
    cancel_after: float | None  # day minutes after issue when the citizen gives up, if they do


def arrivals(rng: random.Random, scale: float = 1.0) -> list[Arrival]:
    """Every citizen of the day, in order: `scale` times each queue's volume."""
    day: list[Arrival] = []
    for queue in QUEUES:
        for hour in peaked_arrivals(rng, queue.volume * scale):
            kiosk = rng.random() < KIOSK_SHARE
            priority = not kiosk and queue.kind != "reflection" and rng.random() < PRIORITY_SHARE
            cancel = rng.uniform(5, 30) if rng.random() < CANCEL_SHARE else None
            day.append(Arrival(hour, queue.code, kiosk, priority, cancel))
    return sorted(day, key=lambda a: a.hour)
