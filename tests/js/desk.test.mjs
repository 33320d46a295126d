// The desk's and the kiosk's pure parts: search and ranking over the demo hall's real
// catalogue (tests/js/fixtures, kept equal to the server's answer by
// tests/integration/test_catalogue.py), ID check digits, the desk's keys, one
// Idempotency-Key per ticket meant, the estimate, refusals, the printer's state, the
// kiosk's idle timer, the sign-in page's `next`. Run with `node --test tests/js/`.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";

import { FakeClock } from "./clock.mjs";

import { safeNext, retryAfterSeconds } from "../../queue_server/pages/static/session.js";
import { entriesOf, normalise, search, target } from "../../ticket_printer/static/catalogue.js";
import { applyQueueWaits, liveFigures } from "../../ticket_printer/static/estimate.js";
import { IssueKeys, randomKey } from "../../ticket_printer/static/idempotency.js";
import { checkDigit, checkIdNumber } from "../../ticket_printer/static/idnumber.js";
import { IdleTimer, idleSeconds } from "../../ticket_printer/static/idle.js";
import { deskKey, keyName } from "../../ticket_printer/static/keys.js";
import { qrContent } from "../../ticket_printer/static/phone.js";
import { printView } from "../../ticket_printer/static/printing.js";
import { problemKey, worthRetrying } from "../../ticket_printer/static/problems.js";

const catalogue = JSON.parse(readFileSync(new URL("./fixtures/demo-catalogue.json", import.meta.url), "utf8"));
const entries = entriesOf(catalogue);
const found = (query, limit) => search(entries, query, limit).map((e) => `${e.kind}:${e.code}`);

describe("search", () => {
  test("bdc finds 不动产登记 first: the queue, then its items, shortest name first", () => {
    assert.deepEqual(found("bdc"), [
      "queue:real-estate",
      "item:property-mortgage",
      "item:property-first-registration",
      "item:property-records",
      "item:property-transfer",
    ]);
  });

  test("pinyin initials of an item and of a bundle", () => {
    assert.equal(found("jmsfz")[0], "item:id-card"); // 居民身份证申领换领补领
    assert.equal(found("qykb")[0], "queue:enterprise"); // 企业开办 before 企业开办“一件事”
    assert.ok(found("qykb").includes("bundle:enterprise-start"));
    assert.equal(found("xsecs")[0], "bundle:newborn"); // 新生儿出生“一件事”
  });

  test("full pinyin, with or without spaces, and ü typed as v", () => {
    assert.equal(found("budongchandiya")[0], "item:property-mortgage");
    assert.equal(found("bu dong chan di ya")[0], "item:property-mortgage");
    assert.equal(normalise("Lü Se"), "lvse");
  });

  test("the name and the code", () => {
    assert.equal(found("护照")[0], "item:passport");
    assert.equal(found("passport")[0], "item:passport");
    assert.equal(found("ID-CARD")[0], "item:id-card");
  });

  test("an exact code comes before any pinyin match", () => {
    assert.equal(found("pickup")[0], "queue:pickup");
  });

  test("nothing typed, or nothing that matches, finds nothing", () => {
    assert.deepEqual(found(""), []);
    assert.deepEqual(found("   "), []);
    assert.deepEqual(found("qqqq"), []);
  });

  test("limit holds, and the target names the kind", () => {
    assert.equal(found("d", 3).length, 3);
    const [first] = search(entries, "bdc");
    assert.deepEqual(target(first), { queue: "real-estate" });
    assert.deepEqual(target(search(entries, "xsecs")[0]), { bundle: "newborn" });
  });
});

describe("ID numbers", () => {
  test("the check digit of the standard's example is X", () => {
    assert.equal(checkDigit("11010519491231002"), "X");
    assert.deepEqual(checkIdNumber(" 11010519491231002x "), { ok: true, value: "11010519491231002X" });
  });

  test("one digit off: the check digit no longer matches", () => {
    assert.deepEqual(checkIdNumber("110105194912310021"), { ok: false, error: "checksum" });
  });

  test("other documents: 6 to 20 letters and digits; anything else is refused", () => {
    assert.deepEqual(checkIdNumber("E12345678"), { ok: true, value: "E12345678" });
    assert.deepEqual(checkIdNumber("12345"), { ok: false, error: "format" });
    assert.deepEqual(checkIdNumber("护照123456"), { ok: false, error: "format" });
    assert.deepEqual(checkIdNumber(""), { ok: true, value: "" });
  });
});

describe("the desk's keys", () => {
  const press = (keys, matches = 3, state = "search") => {
    const actions = [];
    for (const key of keys) {
      const next = deskKey(state, typeof key === "string" ? { key } : key, matches);
      state = next.state;
      actions.push(next.action);
    }
    return { state, actions };
  };

  test("typing, Enter, Enter: picked, then issuing", () => {
    assert.deepEqual(press([{ typed: true }, "Enter", "Enter"]), {
      state: "issuing",
      actions: [null, "pick", "issue"],
    });
  });

  test("a third Enter while issuing, and one after the ticket is out, do nothing", () => {
    let { state } = press(["Enter", "Enter"]);
    assert.equal(deskKey(state, { key: "Enter" }).action, null);
    state = deskKey(state, { event: "issued" }).state;
    assert.equal(state, "issued");
    assert.deepEqual(deskKey(state, { key: "Enter" }), { state: "issued", action: null });
  });

  test("Enter with nothing found picks nothing", () => {
    assert.deepEqual(deskKey("search", { key: "Enter" }, 0), { state: "search", action: "no-match" });
  });

  test("a refusal goes back to the choice, to fix it and press Enter again", () => {
    assert.equal(deskKey("issuing", { event: "refused" }).state, "confirm");
  });

  test("Esc goes back from the choice; typing starts a new search from anywhere but issuing", () => {
    assert.deepEqual(deskKey("confirm", { key: "Escape" }), { state: "search", action: "back" });
    assert.equal(deskKey("issued", { typed: true }).state, "search");
    assert.equal(deskKey("confirm", { typed: true }).state, "search");
    assert.equal(deskKey("issuing", { typed: true }).state, "issuing");
  });

  test("arrows move in the list", () => {
    assert.equal(deskKey("search", { key: "ArrowDown" }).action, "move-down");
    assert.deepEqual(deskKey("confirm", { key: "ArrowUp" }), { state: "search", action: "move-up" });
  });

  test("Alt+1…4 and Alt+0 set the priority class, Alt+I goes to the ID number", () => {
    assert.deepEqual(deskKey("confirm", { key: "Alt+2" }), { state: "confirm", action: "priority", priority: 2 });
    assert.equal(deskKey("search", { key: "Alt+0" }).priority, 0);
    assert.equal(deskKey("search", { key: "Alt+5" }).action, null);
    assert.equal(deskKey("confirm", { key: "Alt+I" }).action, "focus-id");
    assert.equal(deskKey("issued", { key: "Alt+1" }).action, null);
  });

  test("Alt+C cancels the ticket just issued: Enter confirms, Esc keeps it", () => {
    assert.deepEqual(deskKey("issued", { key: "Alt+C" }), { state: "cancelling", action: "start-cancel" });
    assert.equal(deskKey("cancelling", { key: "Enter" }).action, "cancel");
    assert.deepEqual(deskKey("cancelling", { key: "Escape" }), { state: "issued", action: "keep" });
    assert.deepEqual(deskKey("cancelling", { event: "cancelled" }), { state: "search", action: "clear" });
    assert.equal(deskKey("search", { key: "Alt+C" }).action, null);
  });

  test("keyName: the physical key with Alt, whatever the layout types", () => {
    assert.equal(keyName({ key: "¡", code: "Digit1", altKey: true }), "Alt+1");
    assert.equal(keyName({ key: "ı", code: "KeyI", altKey: true }), "Alt+I");
    assert.equal(keyName({ key: "Enter", code: "Enter", altKey: false }), "Enter");
  });
});

describe("one Idempotency-Key per ticket meant", () => {
  test("the same request again (a double Enter, a retry) keeps its key", () => {
    let n = 0;
    const keys = new IssueKeys(() => `k${++n}`);
    assert.equal(keys.keyFor({ item: "passport" }), "k1");
    assert.equal(keys.keyFor({ item: "passport" }), "k1");
  });

  test("another request, or the next one after an answer, gets a new key", () => {
    let n = 0;
    const keys = new IssueKeys(() => `k${++n}`);
    keys.keyFor({ item: "passport" });
    assert.equal(keys.keyFor({ item: "passport", priority: "senior" }), "k2");
    keys.settled();
    assert.equal(keys.pending, null); // the request, ID number and all, is forgotten
    assert.equal(keys.keyFor({ item: "passport", priority: "senior" }), "k3");
  });

  test("random keys are 128 bits and differ", () => {
    const a = randomKey();
    assert.match(a, /^issue-[0-9a-f]{32}$/);
    assert.notEqual(a, randomKey());
  });
});

describe("the estimate", () => {
  const catalogue = () => ({
    hall: { code: "demo" },
    service_day: "2026-11-23",
    queues: [
      { code: "household", estimated_wait_minutes: 10 },
      { code: "pickup", estimated_wait_minutes: 3 },
    ],
  });

  test("the server's pushed figures replace the catalogue's, and say when one changed", () => {
    const shown = catalogue();
    const pushed = { hall: "demo", service_day: "2026-11-23", queues: { household: 25, pickup: 3 } };
    assert.equal(applyQueueWaits(shown, pushed), true);
    assert.deepEqual(
      shown.queues.map((q) => q.estimated_wait_minutes),
      [25, 3],
    );
    assert.equal(applyQueueWaits(shown, pushed), false); // the same again changes nothing
  });

  test("figures of another hall, another day, or not whole minutes are ignored", () => {
    const shown = catalogue();
    assert.equal(applyQueueWaits(shown, { hall: "town", service_day: "2026-11-23", queues: { household: 1 } }), false);
    assert.equal(applyQueueWaits(shown, { hall: "demo", service_day: "2026-11-22", queues: { household: 1 } }), false);
    assert.equal(applyQueueWaits(shown, { hall: "demo", service_day: "2026-11-23", queues: { household: 1.5 } }), false);
    assert.equal(applyQueueWaits(shown, null), false);
    assert.equal(shown.queues[0].estimated_wait_minutes, 10);
  });

  test("live figures: counts from the hall model where it has them, the estimate from the server", () => {
    const queue = {
      code: "household",
      waiting: 0,
      issued: 200,
      daily_cap: 200,
      issuing: true,
      windows: [14, 15],
      windows_open: 0,
      estimated_wait_minutes: 17,
    };
    const model = {
      loaded: true,
      queues: new Map([["household", { waiting: 4 }]]),
      windows: new Map([
        [14, { status: "open" }],
        [15, { status: "paused" }],
      ]),
    };
    assert.deepEqual(liveFigures(queue, model), {
      waiting: 4,
      windowsOpen: 1,
      remaining: 0,
      full: true,
      issuing: true,
      estimatedWaitMinutes: 17,
    });
    assert.equal(liveFigures(queue, null).waiting, 0);
  });
});

describe("refusals", () => {
  const answer = (code, field) => ({ ok: false, status: 409, problem: { code, field, detail: "…" } });

  test("each refusal a guide meets has its own message", () => {
    assert.equal(problemKey(answer("queue_full")), "queue_full");
    assert.equal(problemKey(answer("queue_closed")), "queue_closed");
    assert.equal(problemKey(answer("duplicate_ticket")), "duplicate_ticket");
    assert.equal(problemKey(answer("invalid_input", "id_number")), "bad_id");
    assert.equal(problemKey(answer("invalid_input", "priority")), "failed");
    assert.equal(problemKey(answer("not_found", "item")), "not_found");
    assert.equal(problemKey(answer("unauthenticated")), "session_ended");
    assert.equal(problemKey({ ok: false, network: true }), "network");
  });

  test("only a lost answer or a busy database is worth the same request again", () => {
    assert.equal(worthRetrying({ network: true }), true);
    assert.equal(worthRetrying(answer("store_busy")), true);
    assert.equal(worthRetrying(answer("queue_full")), false);
  });
});

describe("the printer's state", () => {
  test("nothing known: nothing said; trouble: the screen has the number", () => {
    assert.equal(printView(null).show, false);
    assert.deepEqual(printView("printed"), { show: true, tone: "ok", key: "print_printed", needsScreen: false });
    for (const state of ["paper_out", "offline", "failed"]) {
      assert.equal(printView(state).needsScreen, true);
      assert.equal(printView(state).tone, "alert");
    }
  });

  test("the QR code holds the phone page once tickets carry one, else the ticket in words", () => {
    const ticket = { number: "B023", queue_name: "不动产登记", service_day: "2026-11-23", hall: { name: "示范区" } };
    assert.equal(qrContent(ticket, "http://hall"), "示范区 B023 不动产登记 2026-11-23");
    assert.equal(qrContent({ ...ticket, ref: "Xq3v" }, "https://gw.example.cn/queue"), "https://gw.example.cn/queue/t/Xq3v");
    assert.equal(qrContent({ ...ticket, phone_url: "https://p/t/1" }, "http://hall"), "https://p/t/1");
  });
});

describe("the kiosk's idle timer", () => {
  test("runs out after its seconds without a touch; a touch starts it again", () => {
    const clock = new FakeClock();
    let idle = 0;
    const timer = new IdleTimer(30, () => idle++, clock);
    timer.poke();
    clock.tick(29_000);
    timer.poke();
    clock.tick(29_000);
    assert.equal(idle, 0);
    clock.tick(1_000);
    assert.equal(idle, 1);
    assert.equal(timer.running, false);
    clock.tick(60_000);
    assert.equal(idle, 1); // once
  });

  test("stopped on the start screen", () => {
    const clock = new FakeClock();
    let idle = 0;
    const timer = new IdleTimer(5, () => idle++, clock);
    timer.poke();
    timer.stop();
    clock.tick(10_000);
    assert.equal(idle, 0);
    assert.equal(clock.pending, 0);
  });

  test("its seconds come from ?idle=, within bounds", () => {
    assert.equal(idleSeconds("?idle=20"), 20);
    assert.equal(idleSeconds(""), 60);
    assert.equal(idleSeconds("?idle=abc"), 60);
    assert.equal(idleSeconds("?idle=100000"), 600);
  });
});

describe("the sign-in page", () => {
  const origin = "http://hall.example:8000";

  test("goes on to a path of this server only", () => {
    assert.equal(safeNext("/desk", origin), "/desk");
    assert.equal(safeNext("/desk?hall=demo#x", origin), "/desk?hall=demo#x");
    for (const bad of ["//evil.example/desk", "/\\evil.example", "https://evil.example/", "javascript:alert(1)", "", null]) {
      assert.equal(safeNext(bad, origin, "/desk"), "/desk", String(bad));
    }
  });

  test("reads Retry-After in seconds or as a date", () => {
    assert.equal(retryAfterSeconds("30"), 30);
    assert.equal(retryAfterSeconds(null), null);
    assert.equal(retryAfterSeconds(new Date(61_000).toUTCString(), 0), 61);
  });
});
