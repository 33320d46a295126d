// HallModel (signage/static/model.js): each hall event type, the current-calls rule
// (a call stays only while its ticket is at the window), and service days (a new day
// drops the old day's calls and counts; counts of another day are never applied).

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { HallModel, isCall, newestFirst } from "../../signage/static/model.js";

const DAY = "2026-11-23";
const NEXT_DAY = "2026-11-24";
const W1 = { number: 1, name: "综合受理1号窗口", zone: "1f" };
const W2 = { number: 2, name: "综合受理2号窗口", zone: "1f" };
const W9 = { number: 9, name: "不动产登记9号窗口", zone: "2f" };

/** The demo hall in miniature: windows 1 and 2 downstairs (queue A), 9 upstairs (B). */
function snapshot(overrides = {}) {
  return {
    hall: { code: "demo", name: "示范区政务服务中心", timezone: "Asia/Shanghai", notice: "" },
    service_day: DAY,
    seq: 100,
    zones: [
      { code: "1f", name: "一楼综合受理区" },
      { code: "2f", name: "二楼专业受理服务区" },
    ],
    queues: [
      { code: "A", prefix: "A", name: "综合受理", waiting: 3 },
      { code: "B", prefix: "B", name: "不动产登记", waiting: 1 },
    ],
    windows: [
      { ...W1, status: "open", clerk: "张三", ticket: null, ticket_status: null, queues: ["A"] },
      { ...W2, status: "open", clerk: "李四", ticket: null, ticket_status: null, queues: ["A"] },
      { ...W9, status: "open", clerk: "王五", ticket: null, ticket_status: null, queues: ["B"] },
    ],
    recent_calls: [],
    ...overrides,
  };
}

let nextSeq = 101;
const at = (seq) => new Date(Date.UTC(2026, 10, 23, 1, 0, seq)).toISOString();
const ticket = (number, status, id = number.charCodeAt(0) * 1000 + Number(number.slice(1))) => ({
  id,
  number,
  queue: number[0],
  queue_name: number[0] === "A" ? "综合受理" : "不动产登记",
  status,
  priority: false,
});
/** A hall event as the server sends it (service_day only where `day` is given). */
function event(type, fields, day = DAY) {
  const seq = nextSeq++;
  return { hall: "demo", seq, type, at: at(seq), ...(day ? { service_day: day } : {}), ...fields };
}
function called(number, window, { recall = false, waiting = {}, day } = {}) {
  const texts = {
    "zh-CN": `请${number}号到${window.number}号窗口办理${recall ? "（重呼）" : ""}`,
    "zh-TW": `請${number}號到${window.number}號窗口辦理${recall ? "（重呼）" : ""}`,
    en: `Number ${number}, please go to window ${window.number}${recall ? " (repeat)" : ""}`,
  };
  return event(
    recall ? "ticket_recalled" : "ticket_called",
    { ticket: ticket(number, "called"), window, text: texts["zh-CN"], texts, recall, call_count: 1, waiting },
    day,
  );
}
const started = (number, window) => event("service_started", { ticket: ticket(number, "serving"), window });
/** A ticket event: the ticket `number` now in `status`, with the event's other fields. */
const about = (type, number, status, fields = {}, day = DAY) =>
  event(type, { ticket: ticket(number, status), ...fields }, day);
/** A window as window events carry it. */
const view = (window, status, clerk = null, ticketNumber = null, ticketStatus = null) => ({
  ...window,
  status,
  clerk,
  ticket: ticketNumber,
  ticket_status: ticketStatus,
});

function loaded(overrides) {
  const model = new HallModel();
  model.load(snapshot(overrides));
  return model;
}
const shown = (model, zone = null) => model.latestCalls(zone, 8).map((c) => `${c.number}@${c.window}`);

describe("HallModel events", () => {
  test("ticket_issued changes only the waiting count", () => {
    const model = loaded();
    const outcome = model.apply(event("ticket_issued", { ticket: ticket("A004", "waiting"), waiting: { A: 4 } }));
    assert.equal(model.queues.get("A").waiting, 4);
    assert.deepEqual(outcome, { call: null, reload: false });
    assert.deepEqual(shown(model), []);
  });

  test("ticket_called draws a call with the server's texts; the window shows it as called", () => {
    const model = loaded();
    const e = called("A001", W1, { waiting: { A: 2 } });
    const { call } = model.apply(e);
    assert.ok(isCall(e));
    assert.equal(call.number, "A001");
    assert.equal(call.seq, e.seq);
    assert.equal(call.texts.en, "Number A001, please go to window 1");
    assert.deepEqual(shown(model), ["A001@1"]);
    assert.equal(model.windows.get(1).ticket, "A001");
    assert.equal(model.windows.get(1).ticket_status, "called");
    assert.equal(model.queues.get("A").waiting, 2);
  });

  test("a recall replaces the call with the recall's texts and seq", () => {
    const model = loaded();
    model.apply(called("A001", W1));
    const recall = called("A001", W1, { recall: true });
    model.apply(recall);
    const [call] = model.latestCalls(null, 8);
    assert.equal(call.seq, recall.seq);
    assert.equal(call.recall, true);
    assert.ok(call.texts["zh-CN"].endsWith("（重呼）"));
  });

  test("service_started keeps the call; the window is serving", () => {
    const model = loaded();
    model.apply(called("A001", W1));
    model.apply(started("A001", W1));
    assert.deepEqual(shown(model), ["A001@1"]);
    assert.equal(model.windows.get(1).ticket_status, "serving");
  });

  for (const [type, fields] of [
    ["service_finished", { outcome: "accepted", handling_seconds: 300 }],
    ["ticket_no_show", { policy: "void" }],
    ["ticket_suspended", { reason: "取材料" }],
    ["ticket_transferred", { from_queue: "A", to_queue: "B", to_window: 9, waiting: { A: 3, B: 2 } }],
  ]) {
    test(`${type}: the ticket left the window, so its call goes and the banner falls back`, () => {
      const model = loaded();
      model.apply(called("A001", W1));
      model.apply(called("A002", W2));
      model.apply(started("A002", W2));
      assert.deepEqual(shown(model), ["A002@2", "A001@1"]);
      model.apply(about(type, "A002", type === "service_finished" ? "done" : "waiting", { window: W2, ...fields }));
      assert.deepEqual(shown(model), ["A001@1"], "the newest remaining call, not an old one at window 2");
      assert.equal(model.windows.get(2).ticket, null);
      if (fields.waiting) assert.equal(model.queues.get("B").waiting, 2);
    });
  }

  test("after a transfer the window does not fall back to an earlier finished call there", () => {
    const model = loaded();
    model.apply(called("A001", W1));
    model.apply(started("A001", W1));
    model.apply(event("service_finished", { ticket: ticket("A001", "done"), window: W1, outcome: "accepted" }));
    model.apply(called("A002", W1));
    model.apply(about("ticket_transferred", "A002", "waiting", { window: W1, to_queue: "B", waiting: {} }));
    assert.deepEqual(shown(model), []);
    assert.equal(model.latestCalls(null, 1).length, 0, "the banner is empty");
  });

  test("a transferred ticket called at its new window is shown there", () => {
    const model = loaded();
    model.apply(called("A002", W1));
    model.apply(about("ticket_transferred", "A002", "waiting", { window: W1, to_window: 9, waiting: {} }));
    model.apply(called("A002", W9));
    assert.deepEqual(shown(model), ["A002@9"]);
  });

  for (const type of ["ticket_cancelled", "ticket_expired"]) {
    test(`${type}: ends the ticket at whatever window holds it (no window in the event)`, () => {
      const model = loaded();
      model.apply(called("A001", W1));
      model.apply(called("B001", W9));
      const status = type === "ticket_cancelled" ? "cancelled" : "expired";
      model.apply(about(type, "A001", status, { reason: "end_of_day", waiting: { A: 0 } }));
      assert.deepEqual(shown(model), ["B001@9"]);
      assert.equal(model.windows.get(1).ticket, null);
      assert.equal(model.queues.get("A").waiting, 0);
    });
  }

  test("window_released: a manager freed a stuck window, its ticket went back into line", () => {
    const model = loaded();
    model.apply(called("A001", W1));
    model.apply(called("A002", W2));
    model.apply(
      event("window_released", {
        window: { ...W1, status: "closed", clerk: null, ticket: null },
        ticket: ticket("A001", "waiting"),
        reason: "stuck",
        waiting: { A: 4 },
      }),
    );
    assert.deepEqual(shown(model), ["A002@2"]);
    assert.equal(model.windows.get(1).status, "closed");
    assert.equal(model.windows.get(1).clerk, null);
    assert.equal(model.windows.get(1).ticket_status, null);
    assert.equal(model.queues.get("A").waiting, 4);
  });

  test("window_released without a ticket only closes the window", () => {
    const model = loaded();
    model.apply(event("window_released", { window: view(W2, "closed"), ticket: null, reason: "stuck" }));
    assert.equal(model.windows.get(2).status, "closed");
  });

  test("ticket_returned: only the counts change", () => {
    const model = loaded();
    model.apply(called("A001", W1));
    const returned = about("ticket_returned", "A007", "waiting", { reason: "window_closed", waiting: { A: 5 } });
    const outcome = model.apply(returned);
    assert.equal(model.queues.get("A").waiting, 5);
    assert.deepEqual(shown(model), ["A001@1"]);
    assert.deepEqual(outcome, { call: null, reload: false });
  });

  test("window_closed drops the window's call; paused keeps a ticket still at the window", () => {
    const model = loaded();
    model.apply(called("A001", W1));
    model.apply(called("A002", W2));
    model.apply(event("window_paused", { window: view(W2, "paused", "李四", "A002", "called"), reason: null }));
    assert.deepEqual(shown(model), ["A002@2", "A001@1"]);
    model.apply(event("window_closed", { window: view(W1, "closed"), reason: "end_of_day" }));
    assert.deepEqual(shown(model), ["A002@2"]);
    assert.equal(model.windows.get(1).status, "closed");
    model.apply(event("window_resumed", { window: view(W2, "open", "李四", "A002", "called") }));
    model.apply(event("window_opened", { window: view(W1, "open", "张三") }));
    assert.equal(model.windows.get(1).clerk, "张三");
  });

  test("ticket_resumed puts a suspended ticket back at a window, serving, without a call", () => {
    const model = loaded();
    model.apply(called("A001", W1));
    model.apply(event("ticket_suspended", { ticket: ticket("A001", "suspended"), window: W1, reason: null }));
    model.apply(event("ticket_resumed", { ticket: ticket("A001", "serving"), window: W2 }));
    assert.equal(model.windows.get(2).ticket, "A001");
    assert.equal(model.windows.get(2).ticket_status, "serving");
    assert.deepEqual(shown(model), []);
  });

  test("notice_changed and hall_updated", () => {
    const model = loaded();
    model.apply(event("notice_changed", { notice: "今日系统升级" }));
    assert.equal(model.hall.notice, "今日系统升级");
    const outcome = model.apply(event("hall_updated", { name: "新名字" }));
    assert.equal(model.hall.name, "新名字");
    assert.equal(outcome.reload, true);
  });

  test("a call at an unknown window adds the window", () => {
    const model = loaded();
    const W20 = { number: 20, name: "新窗口", zone: "2f" };
    model.apply(called("B002", W20));
    assert.deepEqual(shown(model, "2f"), ["B002@20"]);
  });

  test("latestCalls: newest first by seq, a zone sees only its windows, at most `rows`", () => {
    const model = loaded();
    model.apply(called("A001", W1));
    model.apply(called("B001", W9));
    model.apply(called("A002", W2));
    model.apply(called("A001", W1, { recall: true }));
    assert.deepEqual(shown(model), ["A001@1", "A002@2", "B001@9"]);
    assert.deepEqual(shown(model, "1f"), ["A001@1", "A002@2"]);
    assert.deepEqual(model.latestCalls("2f", 1).map((c) => c.number), ["B001"]);
    assert.deepEqual(model.latestCalls(null, 2).length, 2);
    assert.deepEqual(model.queuesIn("2f").map((q) => q.code), ["B"]);
  });
});

describe("HallModel snapshots", () => {
  test("only calls whose ticket is still at the window are loaded (an older server lists finished ones)", () => {
    const model = loaded({
      windows: [
        { ...W1, status: "closed", clerk: null, ticket: null, ticket_status: null, queues: ["A"] },
        { ...W2, status: "open", clerk: "李四", ticket: "A003", ticket_status: "serving", queues: ["A"] },
        { ...W9, status: "open", clerk: "王五", ticket: null, ticket_status: null, queues: ["B"] },
      ],
      recent_calls: [
        { number: "A004", window: 1, called_at: at(3) }, // finished at a window closed since
        { number: "A003", window: 2, called_at: at(2) },
        { number: "B001", window: 9, called_at: at(1) }, // finished, window free
      ],
    });
    assert.deepEqual(shown(model), ["A003@2"]);
  });

  test("the new snapshot's calls carry seq, texts and recall", () => {
    const texts = { "zh-CN": "请A003号到2号窗口办理（重呼）" };
    const model = loaded({
      windows: [
        { ...W1, status: "open", clerk: "张三", ticket: "A004", ticket_status: "called", queues: ["A"] },
        { ...W2, status: "open", clerk: "李四", ticket: "A003", ticket_status: "called", queues: ["A"] },
      ],
      recent_calls: [
        { number: "A004", window: 1, called_at: at(3), seq: 90, texts: {}, recall: false },
        { number: "A003", window: 2, called_at: at(2), seq: 95, texts, recall: true },
      ],
    });
    const [latest] = model.latestCalls(null, 1);
    assert.equal(latest.number, "A003", "the recall (seq 95) is newer than A004's call (seq 90)");
    assert.equal(latest.recall, true);
    assert.deepEqual(latest.texts, texts);
  });

  test("a reload keeps what the page saw live of the same call", () => {
    const model = loaded();
    model.apply(called("A001", W1));
    model.apply(called("A001", W1, { recall: true }));
    const seen = model.calls.get(1);
    model.load(
      snapshot({
        windows: [{ ...W1, status: "open", clerk: "张三", ticket: "A001", ticket_status: "called", queues: ["A"] }],
        recent_calls: [{ number: "A001", window: 1, called_at: at(1) }],
      }),
    );
    assert.equal(model.calls.get(1), seen);
  });

  test("newestFirst falls back to the time of the call where a seq is missing", () => {
    const older = { seq: null, at: at(1) };
    const newer = { seq: null, at: at(2) };
    assert.deepEqual([older, newer].sort(newestFirst), [newer, older]);
  });
});

describe("HallModel service days", () => {
  function busy() {
    const model = loaded();
    model.apply(called("A001", W1, { waiting: { A: 2 } }));
    model.apply(called("B001", W9, { waiting: { B: 0 } }));
    model.apply(started("B001", W9));
    return model;
  }

  test("day_started drops the old day's calls, tickets and counts at once and asks for a snapshot", () => {
    const model = busy();
    const outcome = model.apply(event("day_started", { service_day: NEXT_DAY, previous_day: DAY }, null));
    assert.equal(outcome.reload, true);
    assert.deepEqual(shown(model), []);
    assert.equal(model.latestCalls(null, 1).length, 0);
    assert.equal(model.windows.get(1).ticket, null);
    assert.equal(model.windows.get(9).ticket, null);
    assert.deepEqual([...model.queues.values()].map((q) => q.waiting), [0, 0]);
    assert.equal(model.serviceDay, NEXT_DAY);
  });

  test("the old day's closing events before day_started apply as that day's", () => {
    const model = busy();
    model.apply(about("ticket_expired", "A009", "expired", { reason: "end_of_day", waiting: { A: 1 } }));
    assert.equal(model.queues.get("A").waiting, 1);
    model.apply(event("window_closed", { window: view(W1, "closed"), reason: "end_of_day" }));
    assert.deepEqual(shown(model), ["B001@9"]);
  });

  test("an event of a later day (day_started not heard): the old day goes, the event is today's", () => {
    const model = busy();
    const outcome = model.apply(about("ticket_issued", "A001", "waiting", { waiting: { A: 1 } }, NEXT_DAY));
    assert.equal(outcome.reload, true);
    assert.deepEqual(shown(model), []);
    assert.equal(model.queues.get("A").waiting, 1, "the new day's count");
    assert.equal(model.queues.get("B").waiting, 0);
    assert.equal(model.serviceDay, NEXT_DAY);
  });

  test("a call of a later day replaces yesterday's calls and is drawn", () => {
    const model = busy();
    const outcome = model.apply(called("A001", W2, { day: NEXT_DAY, waiting: { A: 0 } }));
    assert.equal(outcome.reload, true);
    assert.equal(outcome.call.number, "A001");
    assert.deepEqual(shown(model), ["A001@2"]);
  });

  test("an event of an earlier day never sets today's counts or calls", () => {
    const model = loaded({ service_day: NEXT_DAY });
    model.apply(called("A001", W1, { day: NEXT_DAY, waiting: { A: 0 } }));
    const outcome = model.apply(called("A009", W2, { day: DAY, waiting: { A: 7 } }));
    assert.equal(outcome.reload, true, "something is off: redraw from a snapshot");
    assert.equal(outcome.call, null);
    assert.equal(model.queues.get("A").waiting, 0);
    assert.deepEqual(shown(model), ["A001@1"]);
    model.apply(event("ticket_issued", { ticket: ticket("A010", "waiting"), waiting: { A: 9 } }, DAY));
    assert.equal(model.queues.get("A").waiting, 0);
  });

  test("events without service_day (today's server) are taken as the same day", () => {
    const model = busy();
    const outcome = model.apply(event("ticket_issued", { ticket: ticket("A005", "waiting"), waiting: { A: 5 } }, null));
    assert.equal(outcome.reload, false);
    assert.equal(model.queues.get("A").waiting, 5);
    assert.deepEqual(shown(model), ["B001@9", "A001@1"]);
  });

  test("a snapshot without service_day takes the first event's day", () => {
    const model = loaded({ service_day: undefined });
    const outcome = model.apply(event("ticket_issued", { ticket: ticket("A005", "waiting"), waiting: { A: 5 } }));
    assert.equal(outcome.reload, false);
    assert.equal(model.serviceDay, DAY);
  });
});
