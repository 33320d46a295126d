// The desk's page state, shared by its parts: what is shown (`page`), what the browser
// tests read (`diagnostics`, as window.hallQueue), the words, the message box and the one
// `drawAll` that redraws every part registered with `drawnBy`. The parts: desk.js (search,
// choice, keys, issuing, the link), desk-ticket.js (the ticket shown and its print job),
// desk-lists.js (the waiting list, finding a ticket, appointments), desk-station.js.

import { Translator } from "/pages/static/i18n.js";
import { signInAddress } from "/pages/static/session.js";
import { HallModel } from "/screens/static/model.js";
import { liveFigures } from "./estimate.js";
import { IssueKeys } from "./idempotency.js";
import { PrintJobs, printStateOf } from "./printing.js";
import { DESK_WORDS } from "./words.js";

export const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);
export const words = new Translator(DESK_WORDS, { storageKey: "hallQueue.staffLanguage" });
export const t = (key, params) => words.t(key, params);

export const page = {
  state: "search",
  hall: null,
  user: null,
  api: null,
  catalogue: null,
  entries: [],
  results: [],
  highlighted: 0,
  choice: null, // the entry picked
  priority: 0, // index into PRIORITY_CLASSES + 1; 0 = none
  ticket: null, // the ticket shown: just issued, checked in, or found
  ticketSource: "issued", // "issued" | "appointment" | "found"
  station: null, // where this desk prints (station.js); null: nowhere
  jobs: new PrintJobs(),
  jobId: undefined, // the shown ticket's print job: undefined unknown, null none
  tab: "queues",
  waiting: { queue: "", tickets: [], next: null },
  found: [],
  appointments: null,
  checkingIn: false,
  listTimer: null,
  model: new HallModel(),
  link: null,
  keys: new IssueKeys(),
};

export const diagnostics = {
  get state() {
    return page.state;
  },
  get hall() {
    return page.hall;
  },
  get results() {
    return page.results.map((entry) => `${entry.kind}:${entry.code}`);
  },
  get choice() {
    return page.choice ? `${page.choice.kind}:${page.choice.code}` : null;
  },
  get ticket() {
    return page.ticket;
  },
  get idNumberKept() {
    return $("id-number").value !== "" || page.keys.pending !== null;
  },
  get station() {
    return page.station;
  },
  get printState() {
    return printStateOf(page.jobs.get(page.jobId), page.jobId !== undefined);
  },
  get waiting() {
    return page.waiting.tickets.map((ticket) => ticket.number);
  },
  get found() {
    return page.found.map((ticket) => ticket.number);
  },
  link: "connecting",
  loaded: false,
  issueRequests: 0,
  lastMessage: null,
};
window.hallQueue = diagnostics;

const parts = [];

/** The parts of the page, drawn in this order by `drawAll`. */
export function drawnBy(...draws) {
  parts.push(...draws);
}

export function drawAll() {
  words.translate();
  for (const draw of parts) draw();
  document.body.dataset.state = page.state;
}

export function queueOf(code) {
  return page.catalogue?.queues.find((queue) => queue.code === code) ?? null;
}

export function figures(queue) {
  return liveFigures(queue, page.model);
}

export function waitText(minutes) {
  return minutes > 0 ? t("wait_about", { n: minutes }) : t("no_wait");
}

export function say(key, detail = null, tone = "alert") {
  const box = $("desk-message");
  box.hidden = !key;
  box.dataset.tone = tone;
  box.dataset.key = key ?? "";
  $("message-title").textContent = key ? t(key) : "";
  $("message-detail").textContent = detail ?? "";
  diagnostics.lastMessage = key;
}

export function toSignIn() {
  location.assign(signInAddress("/desk"));
}
