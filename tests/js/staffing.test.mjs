// The staffing page's pure parts (manage_client/static/staffing-view.js): the move in a
// sentence, what is still short after the moves, the target typed in, and the debounce
// that spaces re-reading the advice after a burst of hall events.

import assert from "node:assert/strict";
import { test } from "node:test";

import { Translator } from "../../queue_server/pages/static/i18n.js";
import { debounce, moveText, percent, readTarget, shortAfterMoves, standing } from "../../manage_client/static/staffing-view.js";
import { WORDS } from "../../manage_client/static/staffing-words.js";
import { FakeClock } from "./clock.mjs";

const MOVE = { window: 3, clerk: "王芳", from_queue: "si", from_name: "社保", to_queue: "re", to_name: "不动产登记" };

test("a move reads as a sentence in each language, the clerk left out when nobody is named", () => {
  const words = new Translator(WORDS);
  const t = (key, params) => words.t(key, params);
  assert.equal(moveText(MOVE, t), "把 3 号窗口（王芳）从 社保 调到 不动产登记");
  assert.equal(moveText({ ...MOVE, clerk: null }, t), "把 3 号窗口从 社保 调到 不动产登记");
  words.set("zh-TW");
  assert.equal(moveText(MOVE, t), "把 3 號窗口（王芳）從 社保 調到 不动产登记");
  words.set("en");
  assert.equal(moveText(MOVE, t), "Move window 3 (王芳) from 社保 to 不动产登记");
});

test("every language has every word", () => {
  for (const language of ["zh-TW", "en"]) {
    assert.deepEqual(Object.keys(WORDS[language]).sort(), Object.keys(WORDS["zh-CN"]).sort(), language);
  }
});

test("the queues still short after the moves, by how many", () => {
  const advice = {
    moves: [MOVE],
    queues: [
      { code: "si", name: "社保", difference: 1 },
      { code: "re", name: "不动产登记", difference: -3 },
      { code: "x", name: "X", difference: 0 },
    ],
  };
  assert.deepEqual(
    shortAfterMoves(advice).map((entry) => [entry.queue.code, entry.short]),
    [["re", 2]],
  );
  assert.equal(standing(1, 3), "short");
  assert.equal(standing(2, 2), "even");
  assert.equal(standing(3, 2), "spare");
});

test("the target typed in becomes the API's query, or names what is wrong", () => {
  assert.deepEqual(readTarget("80", "15"), { ok: true, query: "target_minutes=15&service_level=0.8" });
  assert.deepEqual(readTarget(" 57.5 ", "2.5"), { ok: true, query: "target_minutes=2.5&service_level=0.575" });
  assert.equal(readTarget("100", "15").key, "bad_level");
  assert.equal(readTarget("0", "15").key, "bad_level");
  assert.equal(readTarget("八十", "15").key, "bad_level");
  assert.equal(readTarget("80", "-1").key, "bad_minutes");
  assert.equal(readTarget("80", "481").key, "bad_minutes");
  assert.equal(percent(0.8), "80");
  assert.equal(percent(0.575), "57.5");
});

test("a burst of events asks once, after the last of them", () => {
  const clock = new FakeClock();
  let runs = 0;
  const soon = debounce(() => (runs += 1), 1500, clock);
  soon();
  clock.tick(1000);
  soon();
  clock.tick(1000);
  soon();
  assert.equal(runs, 0);
  clock.tick(1500);
  assert.equal(runs, 1);
  soon();
  clock.tick(1500);
  assert.equal(runs, 2);
});
