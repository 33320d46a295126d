// The clerk's console's pure parts: key names (a USB caller keypad's numpad keys by their
// physical code), the shortcut map and how the clerk changes it, what the window allows
// now, durations, and the command sender that retries a command with its one
// Idempotency-Key until the server answers. Run with `node --test tests/js/`.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { FakeClock } from "./clock.mjs";

import {
  ACTIONS,
  DEFAULT_KEYS,
  actionFor,
  assign,
  assignable,
  defaults,
  keyName,
  loadKeys,
  shownKey,
  unassign,
} from "../../counter_client/static/counter-keys.js";
import { COMMANDS, CommandSender, allowedActions, duration, worthRetrying } from "../../counter_client/static/counter-state.js";

const press = (key, code = "", more = {}) => ({ key, code, ctrlKey: false, altKey: false, shiftKey: false, ...more });

describe("key names", () => {
  test("F-keys and named keys as the browser names them", () => {
    assert.equal(keyName(press("F1", "F1")), "F1");
    assert.equal(keyName(press("PageDown", "PageDown")), "PageDown");
  });

  test("numpad keys by their physical code, whatever Num Lock makes them type", () => {
    assert.equal(keyName(press("+", "NumpadAdd")), "NumpadAdd");
    assert.equal(keyName(press("1", "Numpad1")), "Numpad1");
    assert.equal(keyName(press("End", "Numpad1")), "Numpad1"); // Num Lock off
  });

  test("printable keys upper case, with Ctrl and Alt in front; Shift only on named keys", () => {
    assert.equal(keyName(press("k", "KeyK", { ctrlKey: true })), "Ctrl+K");
    assert.equal(keyName(press("K", "KeyK", { shiftKey: true })), "K");
    assert.equal(keyName(press("F2", "F2", { shiftKey: true })), "Shift+F2");
    assert.equal(keyName(press(" ", "Space")), "Space");
  });

  test("a lone modifier is no key", () => {
    assert.equal(keyName(press("Shift", "ShiftLeft", { shiftKey: true })), null);
    assert.equal(keyName(press("Control", "ControlLeft", { ctrlKey: true })), null);
  });
});

describe("the shortcut map", () => {
  test("the defaults give every command a key, each key to one command", () => {
    const keys = defaults();
    const all = ACTIONS.flatMap((action) => keys[action]);
    assert.equal(new Set(all).size, all.length);
    for (const action of ACTIONS) assert.ok(keys[action].length > 0, action);
    assert.equal(actionFor(keys, "F1"), "call_next");
    assert.equal(actionFor(keys, "NumpadAdd"), "call_next");
    assert.equal(actionFor(keys, "F5"), "finish");
    assert.equal(actionFor(keys, "Q"), null);
  });

  test("keys that type into a field, or that the dialogs need, may not be shortcuts", () => {
    for (const name of ["A", "1", "+", "Space", "Enter", "Escape", "Tab", "Backspace", "ArrowUp"]) {
      assert.equal(assignable(name), false, name);
    }
    for (const name of ["F1", "F12", "Numpad1", "NumpadEnter", "Ctrl+K", "Alt+1", "PageDown", "Insert"]) {
      assert.equal(assignable(name), true, name);
    }
  });

  test("assigning a key moves it from the command that had it", () => {
    const { keys, refused, from } = assign(defaults(), "recall", "F1");
    assert.equal(refused, false);
    assert.equal(from, "call_next");
    assert.deepEqual(keys.recall, ["F2", "NumpadMultiply", "F1"]);
    assert.deepEqual(keys.call_next, ["NumpadAdd"]);
    assert.equal(actionFor(keys, "F1"), "recall");
  });

  test("assigning a keypad's own key adds it; a refused key changes nothing", () => {
    const keypad = assign(defaults(), "call_next", "Numpad0");
    assert.equal(actionFor(keypad.keys, "Numpad0"), "call_next");
    const refused = assign(keypad.keys, "call_next", "A");
    assert.equal(refused.refused, true);
    assert.deepEqual(refused.keys, keypad.keys);
    assert.equal(assign(defaults(), "no_such", "F11").refused, true);
  });

  test("unassign takes one key off", () => {
    assert.deepEqual(unassign(defaults(), "call_next", "F1").call_next, ["NumpadAdd"]);
  });

  test("what the browser kept is checked: junk gives the defaults, a bad key is dropped, a duplicate stays first", () => {
    assert.deepEqual(loadKeys(null), defaults());
    assert.deepEqual(loadKeys("{not json"), defaults());
    assert.deepEqual(loadKeys("[1, 2]"), defaults());
    const kept = loadKeys(JSON.stringify({ call_next: ["Numpad0", "A", 7], recall: ["Numpad0", "F2"], bogus: ["F11"] }));
    assert.deepEqual(kept.call_next, ["Numpad0"]);
    assert.deepEqual(kept.recall, ["F2"]);
    assert.deepEqual(kept.finish, DEFAULT_KEYS.finish); // missing: its default
    assert.equal(kept.bogus, undefined);
  });

  test("keys are shown readably", () => {
    assert.equal(shownKey("NumpadAdd", "小键盘"), "小键盘 +");
    assert.equal(shownKey("Numpad7", "小键盘"), "小键盘 7");
    assert.equal(shownKey("F3"), "F3");
  });
});

describe("what the window allows", () => {
  const window = (status, ticketStatus = null) => ({ status, ticket: ticketStatus ? "A001" : null, ticket_status: ticketStatus });

  test("a closed window allows nothing but opening (the chooser)", () => {
    assert.deepEqual([...allowedActions(window("closed"))], []);
    assert.deepEqual([...allowedActions(null)], []);
  });

  test("an idle open window calls; a called ticket is recalled, missed or started; a served one finished", () => {
    assert.deepEqual([...allowedActions(window("open"))].sort(), ["call_next", "call_number", "close", "pause", "resume_ticket"]);
    assert.deepEqual([...allowedActions(window("open", "called"))].sort(), ["no_show", "recall", "start", "transfer"]);
    assert.deepEqual([...allowedActions(window("open", "serving"))].sort(), ["finish", "suspend", "transfer"]);
  });

  test("a paused window only resumes or closes", () => {
    assert.deepEqual([...allowedActions(window("paused"))].sort(), ["close", "pause"]);
  });

  test("every action with a key is a window command", () => {
    for (const action of ACTIONS) assert.ok(COMMANDS[action], action);
  });
});

describe("durations", () => {
  test("seconds, minutes, hours", () => {
    assert.equal(duration(45), "45秒");
    assert.equal(duration(725), "12分05秒");
    assert.equal(duration(3780), "1小时03分");
    assert.equal(duration(null), "—");
    assert.equal(duration(90, { h: "h ", m: "m ", s: "s" }), "1m 30s");
  });
});

describe("sending a command", () => {
  const ok = (data) => ({ ok: true, status: 200, data });
  const offline = { ok: false, status: 0, network: true, problem: null };
  const refused = { ok: false, status: 409, problem: { code: "nothing_waiting", detail: "暂无等候" } };

  function sender(answers) {
    const clock = new FakeClock();
    const sent = [];
    const states = [];
    let n = 0;
    const commands = new CommandSender({
      post: async (path, body, headers) => {
        sent.push({ path, body, key: headers["Idempotency-Key"] });
        return answers.shift();
      },
      newKey: () => `key-${++n}`,
      onChange: (state) => states.push(state.phase),
      timers: clock,
    });
    return { clock, sent, states, commands };
  }

  const settle = () => new Promise((resolve) => setImmediate(resolve));

  test("a network failure is retried with the same key until the server answers", async () => {
    const { clock, sent, states, commands } = sender([offline, offline, ok({ ticket: "A001" })]);
    const done = commands.send("call_next", "/halls/demo/windows/1/call-next");
    await settle();
    assert.equal(commands.state.phase, "retrying");
    clock.tick(500);
    await settle();
    clock.tick(1000);
    const answer = await done;
    assert.equal(answer.ok, true);
    assert.equal(answer.data.ticket, "A001");
    assert.equal(answer.attempts, 3);
    assert.deepEqual(sent.map((s) => s.key), ["key-1", "key-1", "key-1"]);
    assert.ok(states.includes("retrying"));
    assert.equal(commands.busy, false);
  });

  test("a refusal is answered at once, never retried; the next command gets a new key", async () => {
    const { sent, commands } = sender([refused, ok({})]);
    const first = await commands.send("call_next", "/p");
    assert.equal(first.problem.code, "nothing_waiting");
    await commands.send("call_next", "/p");
    assert.deepEqual(sent.map((s) => s.key), ["key-1", "key-2"]);
  });

  test("while one is pending another is refused as busy", async () => {
    const { clock, commands } = sender([offline, ok({})]);
    const first = commands.send("finish", "/p", { outcome: "accepted" });
    await settle();
    const second = await commands.send("call_next", "/q");
    assert.deepEqual(second, { ok: false, busy: true, pending: "finish" });
    clock.tick(500);
    assert.equal((await first).ok, true);
  });

  test("retryNow sends at once when the link is back; abandon gives up", async () => {
    const { sent, commands } = sender([offline, ok({})]);
    const first = commands.send("recall", "/p");
    await settle();
    commands.retryNow();
    assert.equal((await first).ok, true);
    assert.equal(sent.length, 2);

    const again = sender([offline]);
    const pending = again.commands.send("recall", "/p");
    await settle();
    again.commands.abandon();
    assert.deepEqual(await pending, { ok: false, abandoned: true });
    assert.equal(again.commands.busy, false);
    again.clock.tick(10000);
    assert.equal(again.sent.length, 1);
  });

  test("a busy store and a gateway's answer are worth retrying; a refusal is not", () => {
    assert.equal(worthRetrying(offline), true);
    assert.equal(worthRetrying({ ok: false, network: true, status: 502 }), true);
    assert.equal(worthRetrying({ ok: false, problem: { code: "store_busy" } }), true);
    assert.equal(worthRetrying(refused), false);
  });
});
