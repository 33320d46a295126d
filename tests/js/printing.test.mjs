// The desk's and the kiosk's new pure parts: keeping the newest view of each print job
// (an update may overtake the issue's own answer), the page's print state from a job,
// the desk's station from its address and its storage, the find box (a ticket number or
// an ID number), booking references, and the keys for reprint, check-in and find.
// Run with `node --test tests/js/`.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { clockTime, parseFind, parseReference } from "../../ticket_printer/static/finder.js";
import { deskKey } from "../../ticket_printer/static/keys.js";
import { PrintJobs, printStateOf, printView } from "../../ticket_printer/static/printing.js";
import { checkStation, stationFrom } from "../../ticket_printer/static/station.js";
import { DESK_WORDS, KIOSK_WORDS } from "../../ticket_printer/static/words.js";

const job = (id, revision, state) => ({ id, revision, state });

describe("print jobs: the view with the highest revision wins", () => {
  test("an update that arrives before the issue's answer is not overwritten by it", () => {
    const jobs = new PrintJobs();
    assert.equal(jobs.offer(job(7, 3, "printed")), true); // print_job_updated, first
    assert.equal(jobs.offer(job(7, 1, "queued")), false); // the answer, later
    assert.equal(jobs.get(7).state, "printed");
  });

  test("newer views replace older ones; an equal revision changes nothing", () => {
    const jobs = new PrintJobs();
    jobs.offer(job(7, 1, "queued"));
    assert.equal(jobs.offer(job(7, 2, "sent")), true);
    assert.equal(jobs.offer(job(7, 2, "printed")), false);
    assert.equal(jobs.get(7).state, "sent");
    assert.equal(jobs.offer(job(7, 3, "paper_out")), true);
    assert.equal(jobs.get(7).state, "paper_out");
  });

  test("jobs are kept apart by id, and only the latest few are kept", () => {
    const jobs = new PrintJobs(2);
    jobs.offer(job(1, 1, "queued"));
    jobs.offer(job(2, 1, "queued"));
    jobs.offer(job(1, 2, "printed")); // touched: now the newest
    jobs.offer(job(3, 1, "queued"));
    assert.equal(jobs.get(2), null);
    assert.equal(jobs.get(1).state, "printed");
    assert.equal(jobs.get(3).state, "queued");
  });

  test("nothing that is not a job is kept", () => {
    const jobs = new PrintJobs();
    for (const bad of [null, undefined, {}, { id: "7" }]) assert.equal(jobs.offer(bad), false);
    assert.equal(jobs.get(undefined), null);
  });
});

describe("print state", () => {
  test("server states as the page says them", () => {
    assert.equal(printStateOf(null), "none"); // no printer at the station
    assert.equal(printStateOf(undefined, false), null); // not known yet: nothing shown
    for (const [state, shown] of [
      ["queued", "pending"],
      ["sent", "pending"],
      ["printed", "printed"],
      ["paper_out", "paper_out"],
      ["offline", "offline"],
      ["failed", "failed"],
      ["expired", "expired"],
      ["cancelled", "cancelled"],
    ]) {
      assert.equal(printStateOf(job(1, 1, state)), shown, state);
    }
  });

  test("every state the page shows has its words in the three languages", () => {
    for (const state of ["none", "pending", "printed", "paper_out", "offline", "failed", "expired", "cancelled"]) {
      const { key } = printView(state);
      for (const words of [DESK_WORDS, KIOSK_WORDS]) {
        for (const language of ["zh-CN", "zh-TW", "en"]) assert.ok(words[language][key], `${language} ${key}`);
      }
    }
    for (const language of ["zh-CN", "zh-TW", "en"]) assert.ok(KIOSK_WORDS[language].print_take_screen);
    assert.match(KIOSK_WORDS["zh-CN"].print_take_screen, /拍照或记下号码/);
    assert.equal(printView("none").key, "print_none");
    assert.match(DESK_WORDS["zh-CN"].print_none, /^无打印机/);
  });
});

describe("the desk's station", () => {
  test("codes the server takes, and those it refuses", () => {
    assert.deepEqual(checkStation(" desk-1 "), { ok: true, value: "desk-1" });
    assert.deepEqual(checkStation(""), { ok: true, value: "" });
    for (const bad of ["Desk-1", "-desk", "desk 1", "工位1", "a".repeat(41)]) assert.equal(checkStation(bad).ok, false, bad);
  });

  test("the address wins and is to be stored; else what was stored; a bad address is said", () => {
    assert.deepEqual(stationFrom("?station=desk-2", "desk-1"), { station: "desk-2", source: "address", invalid: null });
    assert.deepEqual(stationFrom("?hall=demo", "desk-1"), { station: "desk-1", source: "stored", invalid: null });
    assert.deepEqual(stationFrom("", null), { station: null, source: null, invalid: null });
    assert.deepEqual(stationFrom("?station=DESK!", "desk-1"), { station: "desk-1", source: "stored", invalid: "DESK!" });
    assert.deepEqual(stationFrom("?station=", "desk-1"), { station: "desk-1", source: "stored", invalid: null });
    assert.deepEqual(stationFrom("", "not valid"), { station: null, source: null, invalid: null });
  });
});

describe("the find box", () => {
  test("a ticket number, however typed", () => {
    assert.deepEqual(parseFind("B023"), { kind: "number", number: "B023" });
    assert.deepEqual(parseFind(" b 023 "), { kind: "number", number: "B023" });
  });

  test("an ID number, checked before it is sent", () => {
    assert.deepEqual(parseFind("11010519491231002x"), { kind: "id", idNumber: "11010519491231002X" });
    assert.deepEqual(parseFind("E12345678"), { kind: "id", idNumber: "E12345678" });
    assert.deepEqual(parseFind("110105194912310021"), { kind: "bad", error: "checksum" });
    assert.deepEqual(parseFind("B02"), { kind: "bad", error: "format" });
    assert.deepEqual(parseFind("   "), { kind: "empty" });
  });

  test("booking references as typed or scanned", () => {
    assert.deepEqual(parseReference(" YY-2026_001 "), { ok: true, value: "YY-2026_001" });
    assert.equal(parseReference("").error, "empty");
    assert.equal(parseReference("-YY").error, "format");
    assert.equal(parseReference("YY 001").error, "format");
    assert.equal(parseReference("Y".repeat(65)).error, "format");
  });

  test("the time check-in opens, in the hall's clock", () => {
    assert.equal(clockTime("2026-11-23T02:30:00.000Z", "Asia/Shanghai"), "10:30");
    assert.equal(clockTime(null), null);
    assert.equal(clockTime("not a time"), null);
  });
});

describe("keys for reprint, check-in and find", () => {
  test("Alt+P reprints the ticket shown, and only then", () => {
    assert.deepEqual(deskKey("issued", { key: "Alt+P" }), { state: "issued", action: "reprint" });
    assert.equal(deskKey("search", { key: "Alt+P" }).action, null);
    assert.equal(deskKey("issuing", { key: "Alt+P" }).action, null);
  });

  test("F2 and F3 go to check-in and find from anywhere but while issuing", () => {
    for (const state of ["search", "confirm", "issued", "cancelling"]) {
      assert.equal(deskKey(state, { key: "F2" }).action, "focus-appointment", state);
      assert.equal(deskKey(state, { key: "F3" }).action, "focus-find", state);
    }
    assert.equal(deskKey("cancelling", { key: "F3" }).state, "issued"); // the cancel is dropped, not done
    assert.equal(deskKey("issuing", { key: "F2" }).action, null);
  });
});
