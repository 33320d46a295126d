// 好差评 on the citizen's side, its pure parts (counter_client/pad/static/rating.js, flow.js): the
// five levels in their fixed order whatever the server sends, reasons toggled among those
// offered, the body sent, what each refusal means, the countdown, and the review pad's
// flow from an invitation to the thanks or the end, over a fake clock.

import assert from "node:assert/strict";
import { beforeEach, describe, test } from "node:test";

import { FakeClock } from "./clock.mjs";

import { PadFlow, secondsLeft } from "../../counter_client/pad/static/flow.js";
import { LEVELS, LOOKS, RATING_WORDS, levelsOffered, ratingBody, refusalKey, toggleReason } from "../../counter_client/pad/static/rating.js";
import { PAD_WORDS } from "../../counter_client/pad/static/words.js";

const REASONS = ["服务态度好", "办事效率高", "业务熟练"];
const INVITATION = {
  type: "rating_requested",
  window: { number: 1, name: "综合受理1号窗口" },
  ticket: { ref: "r-a001", number: "A001", queue: "comprehensive", queue_name: "综合受理" },
  clerk: { name: "王芳", staff_number: "C001" },
  opened_at: "2026-11-23T02:00:00.000Z",
  closes_at: "2026-11-23T02:01:00.000Z",
  timeout_seconds: 60,
  levels: [
    { level: "very_dissatisfied", label: "非常不满意", reasons: ["服务态度"] },
    { level: "very_satisfied", label: "非常满意", reasons: REASONS },
    { level: "satisfied", label: "满意", reasons: [] },
  ],
};
const NEXT = { ...INVITATION, ticket: { ...INVITATION.ticket, ref: "r-a002", number: "A002" } };

describe("levels and choices", () => {
  test("the five levels come in their fixed order, best first, whatever order the server sends", () => {
    const offered = levelsOffered(INVITATION.levels);
    assert.deepEqual(
      offered.map((entry) => entry.level),
      ["very_satisfied", "satisfied", "basic", "dissatisfied", "very_dissatisfied"],
    );
    assert.deepEqual(offered[0].reasons, REASONS);
    assert.deepEqual(offered[2].reasons, [], "a level the server did not list offers no reasons");
    assert.deepEqual(levelsOffered(null).map((e) => e.reasons), [[], [], [], [], []]);
  });

  test("every level has a look, and a label in each language", () => {
    for (const level of LEVELS) {
      assert.match(LOOKS[level].colour, /^#[0-9a-f]{6}$/);
      for (const language of ["zh-CN", "zh-TW", "en"]) assert.ok(RATING_WORDS[language][`level_${level}`], language);
    }
    assert.equal(RATING_WORDS["zh-CN"].level_very_dissatisfied, "非常不满意");
    assert.equal(RATING_WORDS["zh-TW"].level_satisfied, "滿意");
  });

  test("the three languages have the same words, on the pad too", () => {
    for (const words of [RATING_WORDS, PAD_WORDS]) {
      const keys = Object.keys(words["zh-CN"]).sort();
      assert.deepEqual(Object.keys(words["zh-TW"]).sort(), keys);
      assert.deepEqual(Object.keys(words.en).sort(), keys);
    }
  });

  test("a reason toggles on and off, keeps the hall file's order, and only offered ones count", () => {
    let chosen = toggleReason([], "业务熟练", REASONS);
    chosen = toggleReason(chosen, "服务态度好", REASONS);
    assert.deepEqual(chosen, ["服务态度好", "业务熟练"]);
    assert.deepEqual(toggleReason(chosen, "服务态度好", REASONS), ["业务熟练"]);
    assert.equal(toggleReason(chosen, "态度恶劣", REASONS), chosen);
  });

  test("the body holds the level, its reasons and the text trimmed; nothing without a level", () => {
    assert.equal(ratingBody({ level: null }), null);
    assert.equal(ratingBody({ level: "great" }), null);
    assert.deepEqual(ratingBody({ level: "satisfied" }), { level: "satisfied", reasons: [] });
    assert.deepEqual(
      ratingBody({ level: "very_satisfied", reasons: ["业务熟练", "别的"], text: "  很好\n ", offered: REASONS, ticketRef: "r1" }),
      { level: "very_satisfied", reasons: ["业务熟练"], text: "很好", ticket_ref: "r1" },
    );
    assert.equal(ratingBody({ level: "basic", text: "好".repeat(600) }).text.length, 500);
  });
});

describe("refusals and the countdown", () => {
  const refused = (status, problem) => ({ ok: false, status, problem });

  test("each refusal means one thing the page can say", () => {
    assert.equal(refusalKey({ ok: false, network: true }), "network");
    assert.equal(refusalKey(null), "network");
    assert.equal(refusalKey(refused(409, { code: "already_rated" })), "already_rated");
    assert.equal(refusalKey(refused(409, { code: "not_rateable", window: 1 })), "closed");
    assert.equal(refusalKey(refused(409, { code: "not_rateable" })), "not_finished");
    assert.equal(refusalKey(refused(422, { code: "invalid_input", field: "text" })), "text");
    assert.equal(refusalKey(refused(422, { code: "invalid_input", field: "reasons" })), "failed");
    assert.equal(refusalKey(refused(503, { code: "store_busy" })), "busy");
    assert.equal(refusalKey(refused(429, { code: "too_many_requests" })), "throttled");
    assert.equal(refusalKey(refused(403, { code: "staff_may_not_rate" })), "failed");
  });

  test("seconds left count down to zero and stay there", () => {
    const closes = Date.parse(INVITATION.closes_at);
    assert.equal(secondsLeft(INVITATION.closes_at, closes - 60000), 60);
    assert.equal(secondsLeft(INVITATION.closes_at, closes - 59001), 60);
    assert.equal(secondsLeft(INVITATION.closes_at, closes - 500), 1);
    assert.equal(secondsLeft(INVITATION.closes_at, closes), 0);
    assert.equal(secondsLeft(INVITATION.closes_at, closes + 5000), 0);
    assert.equal(secondsLeft("not a time", closes), 0);
    // a server clock estimated a little behind never shows more than the server gave
    assert.equal(secondsLeft(INVITATION.closes_at, closes - 60400), 61);
    assert.equal(secondsLeft(INVITATION.closes_at, closes - 60400, 60), 60);
  });
});

describe("the review pad's flow", () => {
  let clock;
  let flow;
  let changes;

  beforeEach(() => {
    clock = new FakeClock();
    changes = 0;
    flow = new PadFlow({ timers: clock, thanksMs: 5000, endedMs: 8000, onChange: () => (changes += 1) });
  });

  test("idle until invited; nothing starts chosen", () => {
    assert.equal(flow.state, "idle");
    flow.invite(INVITATION);
    assert.equal(flow.state, "rating");
    assert.equal(flow.ref, "r-a001");
    assert.equal(flow.level, null);
    assert.deepEqual(flow.reasons, []);
    assert.equal(flow.text, "");
    const before = changes;
    flow.invite(INVITATION); // the same one again (a reconnect's subscribe answer)
    assert.equal(changes, before);
  });

  test("choose, toggle, write, send, thanks, then idle after the thanks", () => {
    flow.invite(INVITATION);
    assert.equal(flow.body(), null, "no level yet");
    assert.equal(flow.message.key, "rate_choose_first");
    flow.choose("very_satisfied");
    assert.equal(flow.message, null);
    flow.toggle("业务熟练");
    flow.toggle("not offered");
    flow.write("谢谢");
    const body = flow.body();
    assert.deepEqual(body, { level: "very_satisfied", reasons: ["业务熟练"], text: "谢谢", ticket_ref: "r-a001" });
    assert.equal(flow.sending, true);
    assert.equal(flow.body(), null, "one submission at a time");
    flow.choose("basic");
    assert.equal(flow.level, "very_satisfied", "no change while sending");
    flow.closed({ reason: "rated", ticket: { ref: "r-a001" } }); // ours, before its answer
    assert.equal(flow.state, "rating");
    flow.answered({ ok: true, data: { level: "very_satisfied", channel: "pad" } });
    assert.equal(flow.state, "thanks");
    clock.tick(4999);
    assert.equal(flow.state, "thanks");
    clock.tick(1);
    assert.equal(flow.state, "idle");
    assert.equal(flow.invitation, null);
  });

  test("another level drops the reasons of the last one", () => {
    flow.invite(INVITATION);
    flow.choose("very_satisfied");
    flow.toggle("业务熟练");
    flow.choose("very_dissatisfied");
    assert.deepEqual(flow.reasons, []);
    assert.deepEqual(flow.offered, ["服务态度"]);
  });

  test("the server's timeout or the pad's own countdown ends it and says the QR code still rates", () => {
    flow.invite(INVITATION);
    flow.closed({ reason: "timeout", ticket: { ref: "someone-else" } });
    assert.equal(flow.state, "rating", "another ticket's notice changes nothing");
    flow.closed({ reason: "timeout", ticket: { ref: "r-a001" } });
    assert.equal(flow.state, "ended");
    assert.equal(flow.ended.key, "closed");
    assert.equal(flow.invitation.ticket.number, "A001", "its number stays on the screen");
    clock.tick(8000);
    assert.equal(flow.state, "idle");

    flow.invite(NEXT);
    flow.expired();
    assert.equal(flow.state, "ended");
  });

  test("rated elsewhere (the phone) while shown: the pad says it was rated", () => {
    flow.invite(INVITATION);
    flow.closed({ reason: "rated", ticket: { ref: "r-a001" } });
    assert.equal(flow.ended.key, "already_rated");
  });

  test("the window's next call goes straight back to idle", () => {
    flow.invite(INVITATION);
    flow.closed({ reason: "next_call", ticket: { ref: "r-a001" } });
    assert.equal(flow.state, "idle");
  });

  test("a new invitation replaces the thanks or the end at once", () => {
    flow.invite(INVITATION);
    flow.choose("satisfied");
    flow.body();
    flow.answered({ ok: true, data: { level: "satisfied" } });
    flow.invite(NEXT);
    assert.equal(flow.state, "rating");
    assert.equal(flow.ref, "r-a002");
    assert.equal(flow.level, null, "nothing of the last citizen's choice");
    clock.tick(10000);
    assert.equal(flow.state, "rating", "the thanks' timer went with it");
  });

  test("an answer for the ticket before a new invitation does not touch the new one", () => {
    flow.invite(INVITATION);
    flow.choose("satisfied");
    const body = flow.body();
    flow.invite(NEXT); // the window finished the next ticket before the answer came
    flow.answered({ ok: true, data: { level: "satisfied" } }, body.ticket_ref);
    assert.equal(flow.state, "rating");
    assert.equal(flow.ref, "r-a002");
    assert.equal(flow.sending, false);
    assert.equal(flow.given, null);
  });

  test("refusals: already rated and closed end it; network, busy and text keep the choice to try again", () => {
    flow.invite(INVITATION);
    flow.choose("dissatisfied");
    flow.body();
    flow.answered({ ok: false, network: true });
    assert.equal(flow.state, "rating");
    assert.equal(flow.message.key, "refused_network");
    assert.equal(flow.level, "dissatisfied");
    flow.body();
    flow.answered({ ok: false, status: 422, problem: { code: "invalid_input", field: "text", detail: "太长" } });
    assert.deepEqual(flow.message, { key: "refused_text", detail: "太长" });
    flow.body();
    flow.answered({ ok: false, status: 409, problem: { code: "already_rated", detail: "A001 号已经评价过了" } });
    assert.equal(flow.state, "ended");
    assert.equal(flow.ended.key, "already_rated");

    flow.invite(NEXT);
    flow.choose("basic");
    flow.body();
    flow.answered({ ok: false, status: 409, problem: { code: "not_rateable", window: 1 } });
    assert.equal(flow.ended.key, "closed");
  });

  test("after a reconnect: the invitation still open is kept, one gone meanwhile ends", () => {
    flow.synced(INVITATION);
    assert.equal(flow.state, "rating");
    flow.choose("satisfied");
    flow.synced(INVITATION);
    assert.equal(flow.level, "satisfied", "the same invitation: the choice stays");
    flow.synced(null);
    assert.equal(flow.state, "ended");
    clock.tick(8000);
    flow.synced(null);
    assert.equal(flow.state, "idle");
  });
});
