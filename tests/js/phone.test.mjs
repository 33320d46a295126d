// The citizen's phone page, its pure parts (ticket_printer/phone/static/): what each state
// says in each language, which live events concern a ticket, the sequence that never
// loses one, one read per burst, and the live link over a fake socket and a fake clock.

import assert from "node:assert/strict";
import { beforeEach, describe, test } from "node:test";

import { FakeClock } from "./clock.mjs";

import { REFRESH_DELAY_MS, TicketFollower } from "../../ticket_printer/phone/static/follow.js";
import { LANGUAGES, keysOf, pickLanguage, t } from "../../ticket_printer/phone/static/i18n.js";
import {
  ProgressTracker,
  Refresher,
  concerns,
  describe as describeView,
  describeProblem,
  isSettled,
  mineOf,
  withWait,
} from "../../ticket_printer/phone/static/progress.js";

/** Lets the promise callbacks queued so far run (the refresher chains a few). */
const flush = () => new Promise((resolve) => setImmediate(resolve));

const WAITING = {
  hall: { code: "demo", name: "示范区政务服务中心" },
  number: "E002",
  service_day: "2026-11-23",
  past_day: false,
  queue: "household",
  queue_name: "公安户政",
  item: null,
  bundle: null,
  status: "waiting",
  window: null,
  clerk: null,
  target_window: null,
  recalled: false,
  transferred: false,
  requeued: false,
  issued_at: "2026-11-23T02:00:00.000Z",
  called_at: null,
  finished_at: null,
  seq: 10,
  people_ahead: 3,
  estimated_wait_minutes: 30,
};
const AT_14 = { number: 14, name: "公安户政14号窗口" };
const CALLED = {
  ...WAITING,
  status: "called",
  window: AT_14,
  clerk: "王芳",
  called_at: "2026-11-23T02:10:00.000Z",
  seq: 12,
  people_ahead: undefined,
  estimated_wait_minutes: undefined,
};
delete CALLED.people_ahead;
delete CALLED.estimated_wait_minutes;

describe("the page's words", () => {
  test("every language has every word of zh-CN", () => {
    for (const language of LANGUAGES) assert.deepEqual(keysOf(language).sort(), keysOf("zh-CN").sort(), language);
  });

  test("placeholders are filled, and a word no dictionary has shows as its key", () => {
    assert.equal(t("zh-CN", "called", { n: 3 }), "请到 3 号窗口办理");
    assert.equal(t("zh-TW", "called", { n: 3 }), "請到 3 號窗口辦理");
    assert.equal(t("en", "called", { n: 3 }), "Please go to window 3");
    assert.equal(t("xx", "called", { n: 3 }), "请到 3 号窗口办理");
    assert.equal(t("en", "no_such_word"), "no_such_word");
  });

  const cases = [
    [null, [], "zh-CN"],
    [null, ["zh-CN", "en"], "zh-CN"],
    [null, ["zh-TW"], "zh-TW"],
    [null, ["zh-HK"], "zh-TW"],
    [null, ["zh-Hant-CN"], "zh-TW"],
    [null, ["zh-Hans-HK"], "zh-CN"],
    [null, ["zh"], "zh-CN"],
    [null, ["en-US", "zh-CN"], "en"],
    [null, ["fr-FR", "en-GB"], "en"],
    [null, ["fr-FR", "de"], "zh-CN"],
    ["en", ["zh-CN"], "en"],
    ["klingon", ["zh-TW"], "zh-TW"],
  ];
  for (const [saved, browser, expected] of cases) {
    test(`language: saved ${saved}, browser ${browser.join(",") || "none"} → ${expected}`, () => {
      assert.equal(pickLanguage(saved, browser), expected);
    });
  }
});

describe("what each state says", () => {
  test("waiting: the people ahead and the wait, and where to wait", () => {
    const shown = describeView(WAITING, "zh-CN");
    assert.equal(shown.state, "waiting");
    assert.equal(shown.headline, "等候中");
    assert.equal(shown.detail, "请在休息区等候，留意大屏和语音叫号");
    assert.deepEqual(shown.figures, { ahead: "3 人", wait: "约 30 分钟" });
    assert.equal(shown.tips, "过号请到导办台重新排队");
    assert.equal(shown.alert, false);
  });

  test("waiting, nobody ahead: next up, called any moment", () => {
    const shown = describeView({ ...WAITING, people_ahead: 0, estimated_wait_minutes: 0 }, "zh-CN");
    assert.equal(shown.headline, "下一位就是您");
    assert.deepEqual(shown.figures, { ahead: "0 人", wait: "即将叫号" });
  });

  test("called: go to the window, its name and the clerk, highlighted", () => {
    const shown = describeView(CALLED, "zh-CN");
    assert.equal(shown.state, "called");
    assert.equal(shown.headline, "请到 14 号窗口办理");
    assert.deepEqual(shown.lines, ["公安户政14号窗口", "工作人员：王芳"]);
    assert.equal(shown.figures, null);
    assert.equal(shown.alert, true);
    assert.equal(describeView({ ...CALLED, recalled: true }, "zh-CN").headline, "请到 14 号窗口办理（重呼）");
    assert.equal(describeView({ ...CALLED, recalled: true }, "en").headline, "Please go to window 14 (repeat)");
    assert.deepEqual(describeView({ ...CALLED, clerk: null }, "zh-CN").lines, ["公安户政14号窗口"]);
  });

  const states = [
    ["serving", { ...CALLED, status: "serving" }, "正在 14 号窗口办理", ""],
    ["suspended", { ...CALLED, status: "suspended", clerk: null }, "业务已挂起", "备齐材料后，请回到 14 号窗口"],
    ["done", { ...CALLED, status: "done" }, "办理完毕", "感谢您的耐心等候"],
    ["no_show", { ...CALLED, status: "no_show" }, "已过号", "过号请到导办台重新排队"],
    ["cancelled", { ...WAITING, status: "cancelled" }, "此号已取消", "如需办理，请到导办台重新取号"],
    ["expired", { ...WAITING, status: "expired" }, "此号已失效", "当日未办理的号已作废；如需办理，请到导办台重新取号"],
  ];
  for (const [state, view, headline, detail] of states) {
    test(`${state}: ${headline}`, () => {
      const shown = describeView(view, "zh-CN");
      assert.equal(shown.state, state);
      assert.equal(shown.headline, headline);
      assert.equal(shown.detail, detail);
      assert.equal(shown.alert, false);
      assert.equal(shown.figures, null);
    });
  }

  test("transferred: to another queue, or to a window", () => {
    const queue = describeView({ ...WAITING, transferred: true, queue_name: "跨省通办" }, "zh-CN");
    assert.equal(queue.detail, "已为您转到“跨省通办”，请继续等候");
    const window = describeView({ ...WAITING, transferred: true, target_window: { number: 15, name: "x" } }, "zh-CN");
    assert.equal(window.detail, "已为您转到 15 号窗口，请等候叫号");
    assert.equal(describeView({ ...WAITING, requeued: true }, "zh-CN").detail, "您已过号，已为您重新排队");
  });

  test("a ticket of a past day says so: still open, instead of its state; settled, beside it", () => {
    const open = describeView({ ...WAITING, past_day: true }, "zh-CN");
    assert.equal(open.state, "past_day");
    assert.equal(open.headline, "这是 2026-11-23 的票");
    assert.match(open.detail, /到导办台重新取号/);
    const done = describeView({ ...CALLED, status: "done", past_day: true }, "zh-TW");
    assert.equal(done.headline, "辦理完畢");
    assert.equal(done.dayNote, "這是 2026-11-23 的票");
  });

  test("every state has words in every language", () => {
    for (const language of LANGUAGES) {
      for (const [, view] of states) assert.ok(describeView(view, language).headline, `${view.status} ${language}`);
    }
  });

  test("problems: not found, too old, too many look-ups, no server", () => {
    const notFound = describeProblem({ status: 404, code: "ticket_not_found" }, "zh-CN");
    assert.deepEqual(notFound, { state: "not_found", headline: "找不到这张票", detail: "请核对二维码，或到导办台询问" });
    assert.equal(describeProblem({ status: 404, code: "not_found" }, "en").headline, "Ticket not found");
    const old = describeProblem({ status: 404, code: "ticket_expired", detail: "这张票是 2026-11-01 的…" }, "zh-CN");
    assert.equal(old.headline, "这张票已过期");
    assert.equal(old.detail, "这张票是 2026-11-01 的…");
    const throttled = describeProblem({ status: 429, code: "lookups_throttled", retry_after: 6 }, "zh-CN");
    assert.deepEqual(throttled, { state: "throttled", headline: "查询过于频繁", detail: "请 6 秒后再试" });
    assert.equal(describeProblem(null, "zh-CN").state, "unreachable");
  });

  test("settled: done, cancelled, expired, of a past day; a no-show may still be called back", () => {
    for (const status of ["done", "cancelled", "expired"]) assert.ok(isSettled({ ...WAITING, status }), status);
    assert.ok(isSettled({ ...WAITING, past_day: true }));
    for (const status of ["waiting", "called", "serving", "suspended", "no_show"]) {
      assert.ok(!isSettled({ ...WAITING, status }), status);
    }
  });
});

describe("which events concern a ticket", () => {
  const mine = mineOf(WAITING);
  const day = "2026-11-23";
  const event = (fields) => ({ hall: "demo", seq: 11, type: "x", service_day: day, ...fields });
  const cases = [
    ["its own ticket called", { ticket: { number: "E002", queue: "household" } }, true],
    ["another of its queue called", { ticket: { number: "E001", queue: "household" } }, true],
    ["a ticket of another queue", { ticket: { number: "A001", queue: "comprehensive" }, waiting: { comprehensive: 2 } }, false],
    ["a transfer into its queue", { ticket: { number: "F001", queue: "cross-province" }, to_queue: "household" }, true],
    ["its queue's count changed", { ticket: { number: "F001", queue: "x" }, waiting: { household: 4 } }, true],
    ["a window opened", { window: { number: 9, name: "9" } }, true],
    ["the notice changed", { notice: "..." }, true],
    ["a new day", { type: "day_started", service_day: "2026-11-24" }, true],
  ];
  for (const [what, fields, expected] of cases) {
    test(`${what}: ${expected}`, () => assert.equal(concerns(event(fields), mine), expected));
  }

  test("a called ticket minds its own window and its own number, not the hall's windows", () => {
    const called = mineOf(CALLED);
    assert.equal(concerns(event({ window: { number: 14 } }), called), true);
    assert.equal(concerns(event({ window: { number: 9 } }), called), false);
    assert.equal(concerns(event({ ticket: { number: "E002", queue: "household" } }), called), true);
  });

  test("a ticket sent to a window minds that window", () => {
    const sent = mineOf({ ...WAITING, queue: "household", target_window: { number: 15 } });
    assert.equal(concerns(event({ ticket: { number: "F009", queue: "cross" }, window: { number: 15 } }), sent), true);
    assert.equal(concerns(event({ ticket: { number: "F009", queue: "cross" }, to_window: 15 }), sent), true);
  });

  test("with no progress yet, every event concerns it", () => {
    assert.equal(concerns(event({ ticket: { number: "A001", queue: "comprehensive" } }), null), true);
  });
});

describe("the sequence", () => {
  const other = (seq) => ({ seq, service_day: "2026-11-23", ticket: { number: "A001", queue: "comprehensive" } });
  const ours = (seq) => ({ seq, service_day: "2026-11-23", ticket: { number: "E001", queue: "household" } });
  let tracker;
  beforeEach(() => {
    tracker = new ProgressTracker();
    tracker.answered(WAITING); // seq 10
  });

  test("an event the progress already holds is dropped; a later one that concerns it asks", () => {
    assert.equal(tracker.receive(ours(10)), false);
    assert.equal(tracker.receive(ours(11)), true);
    assert.equal(tracker.receive(ours(11)), false); // a repeat
    assert.equal(tracker.receive(other(12)), false);
    assert.equal(tracker.lastSeq, 12);
  });

  test("a run of stubs (from..seq) that follows on is no gap; one that skips numbers is", () => {
    const run = (from, seq) => ({ hall: "demo", seq, from });
    tracker.answered({ ...CALLED, seq: 10 }); // called: another window's changes do not concern it
    assert.equal(tracker.receive(run(11, 14), "sequence_advanced"), false);
    assert.equal(tracker.lastSeq, 14);
    assert.equal(tracker.receive(run(16, 17), "sequence_advanced"), true); // 15 was missed
  });

  test("a gap asks for the progress whatever the event: what was missed may have concerned it", () => {
    assert.equal(tracker.receive(other(13)), true);
    assert.equal(tracker.receive(other(12)), false); // the late one: the read after 13 holds it
  });

  test("events while out of sync are counted, and the answer asks again when one was newer", () => {
    tracker.disconnected();
    assert.equal(tracker.receive(other(14)), false);
    assert.deepEqual(tracker.answered({ ...WAITING, seq: 13 }), { show: true, again: true });
    tracker.disconnected();
    tracker.receive(other(12));
    assert.deepEqual(tracker.answered({ ...WAITING, seq: 13 }), { show: true, again: false });
  });

  test("an answer older than the one shown is not drawn", () => {
    tracker.answered({ ...CALLED, seq: 20 });
    assert.deepEqual(tracker.answered({ ...WAITING, seq: 18 }), { show: false, again: false });
    assert.equal(tracker.mine.status, "called");
  });

  test("events that are not the hall's (no seq) are ignored", () => {
    assert.equal(tracker.receive({ type: "announcer_changed" }), false);
    assert.equal(tracker.receive(null), false);
  });
});

describe("one read per burst", () => {
  let clock;
  let reads;
  let finish;
  beforeEach(() => {
    clock = new FakeClock();
    reads = 0;
    finish = [];
  });
  const refresher = () =>
    new Refresher(
      () => {
        reads += 1;
        return new Promise((resolve) => finish.push(resolve));
      },
      { delayMs: 250, timers: clock },
    );

  test("a burst of requests costs one read after the delay", () => {
    const r = refresher();
    for (let i = 0; i < 20; i += 1) r.request();
    clock.tick(249);
    assert.equal(reads, 0);
    clock.tick(1);
    assert.equal(reads, 1);
  });

  test("a request while a read is on its way runs once more after it, never two at a time", async () => {
    const r = refresher();
    r.request();
    clock.tick(250);
    r.request();
    r.request();
    clock.tick(1000);
    assert.equal(reads, 1); // still on its way
    finish[0]();
    await flush();
    clock.tick(250);
    assert.equal(reads, 2);
    finish[1]();
    await flush();
    clock.tick(1000);
    assert.equal(reads, 2);
  });

  test("a failed read does not stop the next", async () => {
    const r = new Refresher(
      () => {
        reads += 1;
        throw new Error("socket gone");
      },
      { delayMs: 10, timers: clock },
    );
    r.request();
    clock.tick(10);
    await flush();
    r.request();
    clock.tick(10);
    assert.equal(reads, 2);
  });
});

describe("pushed wait figures", () => {
  const figures = { hall: "demo", number: "E002", service_day: "2026-11-23", people_ahead: 1, estimated_wait_minutes: 8 };

  test("replace the waiting ticket's people ahead and minutes, nothing else", () => {
    const view = withWait(WAITING, figures);
    assert.deepEqual(view, { ...WAITING, people_ahead: 1, estimated_wait_minutes: 8 });
    assert.equal(WAITING.people_ahead, 3); // the view shown is not changed in place
  });

  for (const [what, view, pushed] of [
    ["another ticket's", WAITING, { ...figures, number: "E003" }],
    ["another day's", WAITING, { ...figures, service_day: "2026-11-22" }],
    ["a called ticket's", CALLED, figures],
    ["not whole minutes", WAITING, { ...figures, estimated_wait_minutes: 2.5 }],
    ["nothing shown yet", null, figures],
  ]) {
    test(`are ignored: ${what}`, () => assert.equal(withWait(view, pushed), null));
  }
});

/** What the follower sees of socket.io-client: handlers, acks with a timeout, onAny. */
class FakeSocket {
  constructor(url, options) {
    this.url = url;
    this.options = options;
    this.listeners = new Map();
    this.anyListeners = [];
    this.connected = false;
    this.active = true;
    this.asked = []; // {name, payload, answer(data), refuse(problem)}
    this.connects = 0;
  }

  on(name, listener) {
    if (!this.listeners.has(name)) this.listeners.set(name, []);
    this.listeners.get(name).push(listener);
  }

  onAny(listener) {
    this.anyListeners.push(listener);
  }

  timeout() {
    return {
      emit: (name, payload, callback) => {
        this.asked.push({
          name,
          payload,
          answer: (data) => callback(null, { ok: true, data }),
          refuse: (problem) => callback(null, { ok: false, problem }),
        });
      },
    };
  }

  connect() {
    this.connects += 1;
  }

  disconnect() {
    this.drop("io client disconnect");
  }

  fire(name, ...args) {
    for (const listener of this.listeners.get(name) ?? []) listener(...args);
  }

  open() {
    this.connected = true;
    this.fire("connect");
  }

  drop(reason = "transport close") {
    this.connected = false;
    this.fire("disconnect", reason);
  }

  deliver(name, payload) {
    for (const listener of this.anyListeners) listener(name, payload);
    this.fire(name, payload);
  }

  named(name) {
    return this.asked.filter((a) => a.name === name);
  }
}

describe("the live link", () => {
  let clock;
  let socket;
  let record;
  let follower;
  const day = "2026-11-23";
  const called = (seq, number = "E001") => ({
    hall: "demo",
    seq,
    type: "ticket_called",
    service_day: day,
    ticket: { number, queue: "household", status: "called" },
    window: { number: 14 },
  });

  beforeEach(() => {
    clock = new FakeClock();
    record = { progress: [], states: [], problems: [], waits: [] };
    follower = new TicketFollower(
      "AbCdEfGhIjKlMnOpQrSt_-",
      {
        progress: (view) => record.progress.push(view.seq),
        wait: (figures) => record.waits.push(figures.estimated_wait_minutes),
        state: (state) => record.states.push(state),
        problem: (problem) => record.problems.push(problem),
      },
      {
        connect: (url, options) => {
          socket = new FakeSocket(url, options);
          return socket;
        },
        url: "http://hall",
        path: "/queue/socket.io",
        timers: clock,
      },
    );
  });

  test("its own wait figures are handed on as they come, with no read and no effect on the sequence", () => {
    socket.open();
    socket.named("subscribe")[0].answer({ seq: 10, progress: WAITING });
    socket.deliver("wait_estimated", { hall: "demo", number: "E002", service_day: day, people_ahead: 2, estimated_wait_minutes: 12 });
    clock.tick(REFRESH_DELAY_MS * 2);
    assert.deepEqual(record.waits, [12]);
    assert.equal(socket.named("read_progress").length, 0);
    assert.equal(follower.tracker.lastSeq, 10);
  });

  test("it connects with the ticket's reference as its only credential, on the page's path", () => {
    assert.deepEqual(socket.options.auth, { ticket: "AbCdEfGhIjKlMnOpQrSt_-" });
    assert.equal(socket.options.path, "/queue/socket.io");
  });

  test("each connect subscribes; the answer's progress is drawn and the link is online", () => {
    socket.open();
    assert.deepEqual(socket.named("subscribe").map((a) => a.payload), [{}]);
    socket.named("subscribe")[0].answer({ seq: 10, progress: WAITING });
    assert.deepEqual(record.progress, [10]);
    assert.equal(record.states.at(-1), "online");
  });

  test("a burst of events that concern the ticket costs one read, and its answer is drawn", async () => {
    socket.open();
    socket.named("subscribe")[0].answer({ seq: 10, progress: WAITING });
    socket.deliver("ticket_called", called(11));
    socket.deliver("service_started", { ...called(12), type: "service_started" });
    socket.deliver("ticket_called", called(13, "E002"));
    assert.equal(socket.named("read_progress").length, 0);
    clock.tick(REFRESH_DELAY_MS);
    assert.equal(socket.named("read_progress").length, 1);
    socket.named("read_progress")[0].answer({ ...CALLED, seq: 13 });
    await flush();
    assert.deepEqual(record.progress, [10, 13]);
    clock.tick(10 * REFRESH_DELAY_MS);
    assert.equal(socket.named("read_progress").length, 1);
  });

  test("events of other queues cost nothing; a gap costs a read", () => {
    socket.open();
    socket.named("subscribe")[0].answer({ seq: 10, progress: WAITING });
    const elsewhere = (seq) => ({ seq, service_day: day, ticket: { number: "A001", queue: "comprehensive" } });
    socket.deliver("ticket_issued", elsewhere(11));
    socket.deliver("ticket_issued", elsewhere(12));
    clock.tick(1000);
    assert.equal(socket.named("read_progress").length, 0);
    socket.deliver("ticket_issued", elsewhere(14)); // 13 never came
    clock.tick(REFRESH_DELAY_MS);
    assert.equal(socket.named("read_progress").length, 1);
  });

  test("offline on a drop; the reconnect subscribes again and draws the fresh progress", () => {
    socket.open();
    socket.named("subscribe")[0].answer({ seq: 10, progress: WAITING });
    socket.drop();
    assert.equal(record.states.at(-1), "offline");
    socket.deliver("ticket_called", called(11)); // nothing is read while out of sync
    clock.tick(1000);
    assert.equal(socket.named("read_progress").length, 0);
    socket.open();
    socket.named("subscribe")[1].answer({ seq: 11, progress: { ...CALLED, seq: 11 } });
    assert.deepEqual(record.progress, [10, 11]);
    assert.equal(record.states.at(-1), "online");
  });

  test("a server that closes the link is reconnected to; one that refuses it, slowly", () => {
    socket.open();
    socket.drop("io server disconnect");
    clock.tick(1000);
    assert.equal(socket.connects, 1);
    socket.active = false;
    socket.fire("connect_error", new Error("找不到这张票：请核对二维码，或到导办台询问"));
    assert.equal(record.states.at(-1), "refused");
    clock.tick(59_999);
    assert.equal(socket.connects, 1);
    clock.tick(1);
    assert.equal(socket.connects, 2);
  });

  test("a throttled read is tried again after Retry-After; a ticket no longer shown is not", async () => {
    socket.open();
    socket.named("subscribe")[0].answer({ seq: 10, progress: WAITING });
    socket.deliver("ticket_called", called(11));
    clock.tick(REFRESH_DELAY_MS);
    socket.named("read_progress")[0].refuse({ status: 429, code: "lookups_throttled", retry_after: 3 });
    await flush();
    clock.tick(2999);
    assert.equal(socket.named("read_progress").length, 1);
    clock.tick(1 + REFRESH_DELAY_MS);
    assert.equal(socket.named("read_progress").length, 2);
    socket.named("read_progress")[1].refuse({ status: 404, code: "ticket_expired" });
    await flush();
    clock.tick(120_000);
    assert.equal(socket.named("read_progress").length, 2);
    assert.deepEqual(record.problems.map((p) => p.status), [429, 404]);
  });

  test("a failed subscribe is tried again with backoff", () => {
    socket.open();
    socket.named("subscribe")[0].refuse({ status: 503, code: "store_busy", detail: "数据库正忙" });
    assert.equal(record.states.at(-1), "offline");
    clock.tick(1000);
    assert.equal(socket.named("subscribe").length, 2);
    socket.named("subscribe")[1].refuse({ status: 503, code: "store_busy" });
    clock.tick(1999);
    assert.equal(socket.named("subscribe").length, 2);
    clock.tick(1);
    assert.equal(socket.named("subscribe").length, 3);
  });

  test("stopped (the ticket is settled): disconnected, and nothing more is asked", () => {
    socket.open();
    socket.named("subscribe")[0].answer({ seq: 10, progress: WAITING });
    follower.stop();
    assert.equal(socket.connected, false);
    socket.deliver("ticket_called", called(11));
    clock.tick(60_000);
    assert.equal(socket.named("read_progress").length, 0);
    assert.notEqual(record.states.at(-1), "offline");
  });
});
