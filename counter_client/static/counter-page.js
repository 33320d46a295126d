// The console's page state, shared by its parts: what is shown (`page`), what the browser
// tests read (`diagnostics`, as window.hallQueue), the words, the message box, and what
// the drawing calls back into (`page.do`, filled by counter.js). The parts: counter.js
// (reading, commands, dialogs, keys, the live link), counter-draw.js (drawing).

import { Translator } from "/pages/static/i18n.js";
import { signInAddress } from "/pages/static/session.js";
import { HallModel } from "/screens/static/model.js";
import { defaults } from "./counter-keys.js";
import { duration } from "./counter-state.js";
import { COUNTER_WORDS } from "./counter-words.js";

export const WINDOW_STORAGE = "hallQueue.counterWindow";

export const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);
export const words = new Translator(COUNTER_WORDS, { storageKey: "hallQueue.staffLanguage" });
export const t = (key, params) => words.t(key, params);

export const page = {
  hall: null,
  api: null,
  day: null, // GET …/clerk/today
  window: null, // the window number signed in at
  view: null, // GET …/windows/{n}
  catalogue: null,
  entries: [],
  dialog: null, // "finish" | "transfer" | "suspend" | "call_number" | null
  outcome: "accepted",
  items: [], // item codes picked in the finish dialog
  itemResults: [],
  keys: defaults(),
  recording: null, // the action whose next key is being recorded
  model: new HallModel(),
  link: null,
  sender: null,
  refreshTimer: null,
  refreshDay: false,
  do: {}, // what drawn buttons run: openWindow, run, pickItem, saveKeys, callNumber (counter.js)
};

export const diagnostics = {
  get window() {
    return page.window;
  },
  get view() {
    return page.view;
  },
  get day() {
    return page.day;
  },
  get keys() {
    return page.keys;
  },
  get sender() {
    return page.sender?.state ?? null;
  },
  get dialog() {
    return page.dialog;
  },
  link: "connecting",
  loaded: false,
  commandsSent: 0,
  lastMessage: null,
  lastCommand: null,
};
window.hallQueue = diagnostics;

export function say(key, detail = null, tone = "alert") {
  const box = $("message");
  box.hidden = !key;
  box.dataset.tone = tone;
  box.dataset.key = key ?? "";
  $("message-title").textContent = key ? t(key) : "";
  $("message-detail").textContent = detail ?? "";
  diagnostics.lastMessage = key;
}

export function sayProblem(answer) {
  const code = answer.problem?.code ?? "failed";
  const key = COUNTER_WORDS["zh-CN"][`msg_${code}`] ? `msg_${code}` : "msg_failed";
  say(key, answer.problem?.detail ?? null);
}

export function durationText(seconds) {
  return duration(seconds, { h: t("duration_h"), m: t("duration_m"), s: t("duration_s") });
}

export function toSignIn() {
  location.assign(signInAddress("/counter"));
}
