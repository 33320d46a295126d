// The guidance desk (导办台): find an item by pinyin, name or code, pick it, set a
// priority class and an optional ID number, issue, see the ticket, its printed preview
// and its print job's state live, print it again or cancel it. Check in appointments,
// list today's waiting tickets and find one by number or ID number. Keyboard first
// (keys.js); live waiting counts and estimates over Socket.IO with the guide's session
// (link.js, model.js of the screens); the desk's station (station.js) says where it prints.
//
// Diagnostics for the browser tests: window.hallQueue.

import { Translator } from "/pages/static/i18n.js";
import { Api, currentSession, signInAddress } from "/pages/static/session.js";
import { element } from "/screens/static/dom.js";
import { ScreenLink } from "/screens/static/link.js";
import { HallModel } from "/screens/static/model.js";
import { entriesOf, search, target } from "./catalogue.js";
import { liveFigures } from "./estimate.js";
import { IssueKeys } from "./idempotency.js";
import { clockTime, parseFind, parseReference } from "./finder.js";
import { checkIdNumber } from "./idnumber.js";
import { deskKey, keyName } from "./keys.js";
import { drawPrintState, PrintJobs, printStateOf } from "./printing.js";
import { problemKey, worthRetrying } from "./problems.js";
import { STATION_KEY, checkStation, stationFrom } from "./station.js";
import { DESK_WORDS, PRIORITY_CLASSES } from "./words.js";

const CATALOGUE_REFRESH_MS = 60000; // issuing hours open and close by the clock
const LIST_REFRESH_MS = 400; // hall events come in bursts: one reload of the lists after them
const WAITING_PAGE = 20;
const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);
const words = new Translator(DESK_WORDS, { storageKey: "hallQueue.staffLanguage" });
const t = (key, params) => words.t(key, params);

const page = {
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

const diagnostics = {
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

// ---- drawing -------------------------------------------------------------------------

function queueOf(code) {
  return page.catalogue?.queues.find((queue) => queue.code === code) ?? null;
}

function figures(queue) {
  return liveFigures(queue, page.model);
}

function waitText(minutes) {
  return minutes > 0 ? t("wait_about", { n: minutes }) : t("no_wait");
}

/** A queue's state as a badge: full, not issuing, or nothing. */
function badge(queue, live) {
  if (live.full) return element("span", "badge alert", t("queue_full_badge"), "badge-full");
  if (!live.issuing) return element("span", "badge warn", t("closed_badge"), "badge-closed");
  return null;
}

function queueLine(queue) {
  const live = figures(queue);
  const line = element("span", "figures");
  line.append(
    element("span", "waiting", t("waiting_n", { n: live.waiting }), "waiting"),
    element("span", "estimate", waitText(live.estimatedWaitMinutes), "estimate"),
  );
  const state = badge(queue, live);
  if (state) line.append(state);
  return line;
}

function drawResults() {
  const list = $("results");
  list.replaceChildren(
    ...page.results.map((entry, index) => {
      const row = element("li", "result", undefined, "result");
      row.dataset.kind = entry.kind;
      row.dataset.code = entry.code;
      row.setAttribute("role", "option");
      row.setAttribute("aria-selected", String(index === page.highlighted));
      row.classList.toggle("highlighted", index === page.highlighted);
      const queue = queueOf(entry.queue);
      const head = element("span", "result-head");
      head.append(element("span", `kind kind-${entry.kind}`, t(`kind_${entry.kind}`)), element("span", "name", entry.name, "result-name"));
      const meta = element("span", "result-meta");
      if (entry.kind !== "queue" && queue) meta.append(element("span", "queue-name", queue.name));
      meta.append(element("span", "initials", entry.initials));
      if (queue) meta.append(queueLine(queue));
      row.append(head, meta);
      row.addEventListener("click", () => {
        page.highlighted = index;
        handle({ key: "Enter" });
        $("search").focus();
      });
      return row;
    }),
  );
  const query = $("search").value.trim();
  $("search-hint").textContent = !query
    ? t("search_hint")
    : page.results.length
      ? t("results_n", { n: page.results.length })
      : t("no_match", { q: query });
  $("search-hint").dataset.state = query && !page.results.length ? "none" : "some";
  list.querySelector(".highlighted")?.scrollIntoView({ block: "nearest" });
}

function drawChoice() {
  const box = $("choice");
  box.replaceChildren();
  box.dataset.empty = String(!page.choice);
  box.classList.toggle("active", page.state === "confirm" || page.state === "issuing");
  if (!page.choice) {
    box.append(element("p", "empty", t("choose_first")));
  } else {
    const entry = page.choice;
    const queue = queueOf(entry.queue);
    const head = element("div", "choice-head");
    head.append(element("span", `kind kind-${entry.kind}`, t(`kind_${entry.kind}`)), element("span", "choice-name", entry.name, "choice-name"));
    box.append(head);
    if (queue) {
      const live = figures(queue);
      const info = element("div", "choice-queue", undefined, "choice-queue");
      info.dataset.queue = queue.code;
      info.append(
        element("span", "prefix", queue.prefix),
        element("span", "queue-name", queue.name),
        element("span", "waiting", t("waiting_n", { n: live.waiting }), "choice-waiting"),
        element("span", "estimate", waitText(live.estimatedWaitMinutes), "choice-estimate"),
        element("span", "remaining", t("remaining_n", { n: live.remaining })),
      );
      const state = badge(queue, live);
      if (state) info.append(state);
      box.append(info);
      const hours = queue.issuing_hours.length ? t("hours", { hours: queue.issuing_hours.join("、") }) : t("no_hours_today");
      box.append(element("p", "hours", hours));
    }
  }
  const issue = $("issue");
  issue.disabled = !page.choice || page.state === "issuing";
  issue.textContent = page.state === "issuing" ? t("issuing") : t("issue_button");
}

function drawPriority() {
  const options = $("priority-options");
  const classes = ["none", ...PRIORITY_CLASSES];
  const allowed = page.choice ? queueOf(page.choice.queue)?.priority_calls !== false : true;
  options.replaceChildren(
    ...classes.map((name, index) => {
      const button = element("button", "priority-option", `${index === 0 ? "" : `${index} `}${t(`priority_${name}`)}`);
      button.type = "button";
      button.dataset.testid = `priority-${name}`;
      button.dataset.priority = name;
      button.setAttribute("aria-pressed", String(index === page.priority));
      button.classList.toggle("active", index === page.priority);
      button.disabled = index > 0 && !allowed;
      button.addEventListener("click", () => {
        setPriority(index);
        $("search").focus();
      });
      return button;
    }),
  );
}

function drawQueues() {
  if (!page.catalogue) return;
  $("queues").replaceChildren(
    ...page.catalogue.queues.map((queue) => {
      const live = figures(queue);
      const row = element("li", "queue-row", undefined, "queue-row");
      row.dataset.queue = queue.code;
      row.append(
        element("span", "prefix", queue.prefix),
        element("span", "queue-name", queue.name),
        element("span", "waiting", t("people", { n: live.waiting }), "queue-waiting"),
        element("span", "estimate", waitText(live.estimatedWaitMinutes), "queue-estimate"),
      );
      const state = badge(queue, live);
      if (state) row.append(state);
      row.classList.toggle("unavailable", live.full || !live.issuing);
      return row;
    }),
  );
}

function drawTicket() {
  const box = $("issued");
  const ticket = page.ticket;
  box.hidden = !ticket;
  if (!ticket) return;
  $("issued-label").textContent = t({ issued: "issued_label", appointment: "checked_in_label", found: "found_label" }[page.ticketSource]);
  $("issued-number").textContent = ticket.number;
  const name = page.entries.find((e) => e.kind !== "queue" && e.code === (ticket.item ?? ticket.bundle))?.name;
  $("issued-queue").textContent = name ? `${ticket.queue_name} · ${name}` : ticket.queue_name;
  const lines = [];
  if (ticket.people_ahead !== undefined) {
    lines.push(ticket.people_ahead > 0 ? t("people_ahead", { n: ticket.people_ahead }) : t("next_one"));
    if (ticket.estimated_wait_minutes > 0) lines.push(t("estimated", { n: ticket.estimated_wait_minutes }));
  }
  if (ticket.priority) lines.push(t(`priority_${ticket.priority}`));
  $("issued-figures").textContent = lines.join(" · ");
  drawPrintState($("print-state"), diagnostics.printState, t);
  const cancelled = ticket.status === "cancelled";
  const open = ["waiting", "called", "serving", "suspended", "no_show"].includes(ticket.status);
  $("reprint").hidden = !open;
  $("issued-status").hidden = !cancelled;
  $("issued-status").textContent = cancelled ? t("cancelled", { number: ticket.number }) : "";
  box.classList.toggle("cancelled", cancelled);
  $("cancel").hidden = cancelled || !["waiting", "suspended", "no_show"].includes(ticket.status);
  $("cancel-form").hidden = page.state !== "cancelling";
  const preview = $("preview");
  const source = `/desk/tickets/${ticket.id}/preview.png`;
  if (preview.dataset.source !== source) {
    preview.dataset.source = source;
    preview.src = source;
    preview.alt = `${ticket.number}`;
  }
}

function drawIdHint() {
  const raw = $("id-number").value;
  const checked = checkIdNumber(raw);
  const hint = $("id-hint");
  hint.dataset.state = !raw.trim() ? "empty" : checked.ok ? "ok" : "bad";
  hint.textContent = !raw.trim() ? "" : checked.ok ? t("id_ok") : t(`msg_bad_id_${checked.error}`);
}

function say(key, detail = null, tone = "alert") {
  const box = $("desk-message");
  box.hidden = !key;
  box.dataset.tone = tone;
  box.dataset.key = key ?? "";
  $("message-title").textContent = key ? t(key) : "";
  $("message-detail").textContent = detail ?? "";
  diagnostics.lastMessage = key;
}

function drawLink() {
  const state = diagnostics.link;
  const badgeElement = $("link-state");
  badgeElement.dataset.state = state;
  badgeElement.textContent = t(state === "refused" ? "offline" : state);
}

function drawStation() {
  $("station").textContent = page.station ?? t("station_none");
  $("station-box").dataset.set = String(Boolean(page.station));
}

function timeOf(iso) {
  return clockTime(iso, page.catalogue?.hall?.timezone) ?? "";
}

function ticketRow(ticket, testid) {
  const row = element("li", "ticket-row", undefined, testid);
  row.dataset.number = ticket.number;
  row.dataset.id = String(ticket.id);
  row.append(
    element("span", "number", ticket.number),
    element("span", "queue-name", ticket.queue_name),
    element("span", "when", ticket.status === "waiting" ? t("issued_at", { time: timeOf(ticket.issued_at) }) : t(`status_${ticket.status}`)),
  );
  if (ticket.priority) row.append(element("span", "badge warn", t(`priority_${ticket.priority}`)));
  row.addEventListener("click", () => showTicket(ticket, "found"));
  return row;
}

function drawSide() {
  for (const tab of document.querySelectorAll("[data-tab]")) {
    tab.setAttribute("aria-selected", String(tab.dataset.tab === page.tab));
    tab.classList.toggle("active", tab.dataset.tab === page.tab);
  }
  for (const panel of document.querySelectorAll("[data-panel]")) panel.hidden = panel.dataset.panel !== page.tab;
  const select = $("waiting-queue");
  const options = [["", t("all_queues")], ...(page.catalogue?.queues ?? []).map((q) => [q.code, `${q.prefix} ${q.name}`])];
  if (select.options.length !== options.length || select.dataset.language !== words.current) {
    select.replaceChildren(
      ...options.map(([value, label]) => {
        const option = element("option", null, label);
        option.value = value;
        return option;
      }),
    );
    select.dataset.language = words.current;
  }
  select.value = page.waiting.queue;
  $("found").replaceChildren(...page.found.map((ticket) => ticketRow(ticket, "found-row")));
  $("found").hidden = page.found.length === 0;
  const waiting = page.waiting.tickets;
  $("waiting-list").replaceChildren(...waiting.map((ticket) => ticketRow(ticket, "waiting-row")));
  const queue = queueOf(page.waiting.queue);
  const total = queue ? figures(queue).waiting : (page.catalogue?.queues ?? []).reduce((n, q) => n + figures(q).waiting, 0);
  $("waiting-count").textContent = waiting.length || total ? t("waiting_list_n", { n: total }) : t("waiting_list_empty");
  $("waiting-more").hidden = !page.waiting.next;
  const appointments = page.appointments ?? [];
  $("appointments-count").textContent = appointments.length ? t("appointments_n", { n: appointments.length }) : t("appointments_none");
  $("appointments").replaceChildren(
    ...appointments.map((appointment) => {
      const row = element("li", `ticket-row appointment ${appointment.status}`, undefined, "appointment-row");
      row.dataset.reference = appointment.reference;
      row.append(
        element("span", "when", `${appointment.slot_start}–${appointment.slot_end}`),
        element("span", "queue-name", appointment.queue_name),
        element("span", "reference", appointment.reference),
        element("span", "badge", appointment.ticket ? `${t(`appointment_status_${appointment.status}`)} ${appointment.ticket.number}` : t(`appointment_status_${appointment.status}`)),
      );
      if (appointment.status === "booked") {
        row.addEventListener("click", () => {
          $("appointment").value = appointment.reference;
          $("appointment").focus();
        });
      }
      return row;
    }),
  );
}

function drawAll() {
  words.translate();
  drawLink();
  drawStation();
  drawSide();
  drawResults();
  drawChoice();
  drawPriority();
  drawQueues();
  drawTicket();
  drawIdHint();
  document.body.dataset.state = page.state;
}

// ---- what the keys do ----------------------------------------------------------------

function setPriority(index) {
  const allowed = page.choice ? queueOf(page.choice.queue)?.priority_calls !== false : true;
  page.priority = allowed ? index : 0;
  drawPriority();
}

function runSearch() {
  page.results = search(page.entries, $("search").value, 30);
  page.highlighted = 0;
  drawResults();
}

function handle(input) {
  const { state, action, priority } = deskKey(page.state, input, page.results.length);
  page.state = state;
  switch (action) {
    case "move-down":
      page.highlighted = Math.min(page.highlighted + 1, Math.max(page.results.length - 1, 0));
      break;
    case "move-up":
      page.highlighted = Math.max(page.highlighted - 1, 0);
      break;
    case "pick":
      page.choice = page.results[page.highlighted];
      say(null);
      if (queueOf(page.choice.queue)?.priority_calls === false) page.priority = 0;
      break;
    case "no-match":
      break;
    case "clear":
      $("search").value = "";
      page.results = [];
      page.choice = null;
      page.priority = 0;
      $("id-number").value = "";
      say(null);
      $("search").focus();
      break;
    case "back":
      $("search").focus();
      break;
    case "priority":
      setPriority(priority);
      break;
    case "focus-id":
      $("id-number").focus();
      break;
    case "issue":
      issue();
      break;
    case "start-cancel":
      $("cancel-form").hidden = false;
      $("cancel-reason").focus();
      break;
    case "cancel":
      cancel();
      break;
    case "keep":
      $("search").focus();
      break;
    case "reprint":
      reprint();
      break;
    case "focus-appointment":
      $("appointment").focus();
      $("appointment").select();
      break;
    case "focus-find":
      showTab("waiting");
      $("find").focus();
      $("find").select();
      break;
    default:
      break;
  }
  drawAll();
  return action;
}

// ---- talking to the server -----------------------------------------------------------

function saveStation() {
  if (setStation($("station-input").value)) {
    $("station-form").hidden = true;
    say(null);
    $("search").focus();
  }
}

function toSignIn() {
  location.assign(signInAddress("/desk"));
}

async function issue() {
  say(null);
  const checked = checkIdNumber($("id-number").value);
  if (!checked.ok) {
    handle({ event: "refused" });
    say("msg_bad_id", t(`msg_bad_id_${checked.error}`));
    $("id-number").focus();
    return;
  }
  const request = { ...target(page.choice) };
  if (page.priority > 0) request.priority = PRIORITY_CLASSES[page.priority - 1];
  if (checked.value) request.id_number = checked.value;
  if (page.station) request.station = page.station;
  const key = page.keys.keyFor(request);
  diagnostics.issueRequests += 1;
  const answer = await page.api.post(`/halls/${page.hall}/tickets`, request, { "Idempotency-Key": key });
  if (answer.ok) {
    page.keys.settled();
    $("id-number").value = ""; // the ID number is not kept on the page after issuing
    showTicket(answer.data, "issued", answer.data.print_job ?? null);
    page.choice = null;
    page.priority = 0;
    $("search").value = "";
    page.results = [];
    handle({ event: "issued" });
    $("search").focus();
    return;
  }
  if (!worthRetrying(answer)) page.keys.settled();
  const key2 = problemKey(answer);
  if (key2 === "session_ended") {
    toSignIn();
    return;
  }
  handle({ event: "refused" });
  say(`msg_${key2}`, answer.problem?.detail ?? null);
  if (key2 === "bad_id") $("id-number").focus();
  else $("search").focus();
}

async function cancel() {
  const reason = $("cancel-reason").value.trim();
  if (!reason) {
    say("cancel_needs_reason", null, "warn");
    $("cancel-reason").focus();
    return;
  }
  const answer = await page.api.post(`/halls/${page.hall}/tickets/${page.ticket.id}/cancel`, { reason });
  if (answer.ok) {
    page.ticket = { ...page.ticket, ...answer.data };
    $("cancel-reason").value = "";
    page.state = "issued";
    say(null);
    drawAll();
    $("search").focus();
    return;
  }
  if (problemKey(answer) === "session_ended") {
    toSignIn();
    return;
  }
  handle({ event: "cancel-refused" });
  say("msg_failed", answer.problem?.detail ?? t("msg_network"));
}

/** Show `ticket` in the issued panel, with its print job when known (null: none). */
function showTicket(ticket, source, job = undefined) {
  page.ticket = ticket;
  page.ticketSource = source;
  page.jobId = undefined;
  if (job !== undefined) {
    page.jobs.offer(job);
    page.jobId = job?.id ?? null;
  } else {
    loadPrintJob(ticket.id);
  }
  if (source !== "issued") {
    page.state = "issued";
    say(null);
  }
  drawAll();
}

/** The latest print job of a ticket found or reconnected to, from the server. */
async function loadPrintJob(ticketId) {
  const answer = await page.api.get(`/halls/${page.hall}/print-jobs?ticket=${ticketId}&limit=1`);
  if (!answer.ok || page.ticket?.id !== ticketId) return;
  const [job] = answer.data.print_jobs;
  if (job) page.jobs.offer(job);
  if (page.jobId === undefined || job) page.jobId = job?.id ?? null;
  drawTicket();
}

function jobUpdated(payload) {
  const job = payload?.job;
  if (!job || (payload.hall && payload.hall !== page.hall)) return;
  if (page.jobs.offer(job) && job.id === page.jobId) drawTicket();
  if (page.ticket && job.ticket_id === page.ticket.id && page.jobId === undefined) {
    page.jobId = job.id;
    drawTicket();
  }
}

async function reprint() {
  if (!page.ticket) return;
  const body = page.station ? { station: page.station } : {};
  const answer = await page.api.post(`/halls/${page.hall}/tickets/${page.ticket.id}/reprint`, body);
  if (answer.ok) {
    page.jobs.offer(answer.data);
    page.jobId = answer.data.id;
    say("reprinted", null, "ok");
    $("message-title").textContent = t("reprinted", { number: page.ticket.number });
    drawTicket();
    return;
  }
  if (problemKey(answer) === "session_ended") {
    toSignIn();
    return;
  }
  const code = answer.problem?.code;
  say(code === "no_printer" ? "msg_no_printer" : "msg_reprint_failed", answer.problem?.detail ?? t("msg_network"));
}

// ---- appointments --------------------------------------------------------------------

function appointmentMessage(answer) {
  const problem = answer.problem ?? {};
  switch (problem.code) {
    case "appointment_too_early": {
      const time = clockTime(problem.check_in_from, page.catalogue?.hall?.timezone);
      return ["msg_appointment_too_early", [time ? t("msg_appointment_too_early_at", { time }) : null, problem.detail].filter(Boolean).join("。")];
    }
    case "appointment_late":
      return ["msg_appointment_late", problem.detail];
    case "appointment_checked_in":
      return ["msg_appointment_checked_in", problem.detail];
    case "appointment_closed":
      return ["msg_appointment_closed", problem.detail];
    case "not_found":
      return ["msg_appointment_unknown", problem.detail];
    case "invalid_input":
      return [problem.field === "station" ? "msg_failed" : "msg_appointment_format", problem.detail];
    default: {
      const key = problemKey(answer);
      return [["queue_full", "queue_closed", "duplicate_ticket", "network", "busy", "forbidden"].includes(key) ? `msg_${key}` : "msg_appointment_failed", problem.detail ?? null];
    }
  }
}

async function checkIn() {
  if (page.checkingIn || page.state === "issuing") return;
  const field = $("appointment");
  const reference = parseReference(field.value);
  if (!reference.ok) {
    say(reference.error === "empty" ? "msg_appointment_empty" : "msg_appointment_format", null, "warn");
    field.focus();
    return;
  }
  page.checkingIn = true;
  $("check-in").disabled = true;
  const body = page.station ? { station: page.station } : {};
  const answer = await page.api.post(`/halls/${page.hall}/appointments/${encodeURIComponent(reference.value)}/check-in`, body);
  page.checkingIn = false;
  $("check-in").disabled = false;
  if (answer.ok) {
    field.value = ""; // the booking reference checks in: not left on the screen
    const replayed = answer.headers?.get("Idempotent-Replayed") === "true";
    showTicket(answer.data, "appointment", answer.data.print_job ?? null);
    if (replayed) {
      say("msg_appointment_checked_in", null, "warn");
      $("message-title").textContent = t("msg_appointment_replayed", { number: answer.data.number });
    }
    loadAppointments();
    $("search").focus();
    return;
  }
  if (problemKey(answer) === "session_ended") {
    toSignIn();
    return;
  }
  const [key, detail] = appointmentMessage(answer);
  say(key, detail);
  field.focus();
  field.select(); // the next scan replaces what was there
}

async function loadAppointments() {
  const answer = await page.api.get(`/halls/${page.hall}/appointments`);
  if (!answer.ok) return;
  page.appointments = answer.data.appointments;
  drawSide();
}

// ---- the waiting list and finding a ticket -------------------------------------------

async function loadWaiting({ more = false } = {}) {
  const query = new URLSearchParams({ status: "waiting", limit: String(WAITING_PAGE) });
  if (page.waiting.queue) query.set("queue", page.waiting.queue);
  if (more && page.waiting.next) query.set("cursor", page.waiting.next);
  // reloading keeps as many rows as were shown: a guide paging down is not sent back up
  else query.set("limit", String(Math.min(Math.max(page.waiting.tickets.length, WAITING_PAGE), 200)));
  const queue = page.waiting.queue;
  const answer = await page.api.get(`/halls/${page.hall}/tickets?${query}`);
  if (!answer.ok || queue !== page.waiting.queue) return;
  page.waiting.tickets = more ? [...page.waiting.tickets, ...answer.data.tickets] : answer.data.tickets;
  page.waiting.next = answer.data.next_cursor;
  drawSide();
}

/** Hall events change the lists: reload them once the burst is over, not on a timer. */
function listsChanged() {
  clearTimeout(page.listTimer);
  page.listTimer = setTimeout(() => {
    if (page.tab === "waiting") loadWaiting();
    if (page.tab === "appointments") loadAppointments();
  }, LIST_REFRESH_MS);
}

function showTab(tab) {
  page.tab = tab;
  if (tab === "waiting") loadWaiting();
  if (tab === "appointments") loadAppointments();
  drawSide();
}

async function find() {
  const field = $("find");
  const wanted = parseFind(field.value);
  const hint = $("find-hint");
  hint.dataset.state = "some";
  if (wanted.kind === "empty") return;
  if (wanted.kind === "bad") {
    hint.dataset.state = "none";
    hint.textContent = t(wanted.error === "checksum" ? "find_bad_checksum" : "find_bad_format");
    return;
  }
  let answer;
  if (wanted.kind === "number") {
    answer = await page.api.get(`/halls/${page.hall}/tickets?number=${encodeURIComponent(wanted.number)}`);
  } else {
    field.value = ""; // the ID number goes in the body only, and is not kept on the page
    answer = await page.api.post(`/halls/${page.hall}/tickets/search`, { id_number: wanted.idNumber });
  }
  if (!answer.ok) {
    if (problemKey(answer) === "session_ended") return toSignIn();
    hint.dataset.state = "none";
    hint.textContent = `${t("find_failed")}：${answer.problem?.detail ?? t("msg_network")}`;
    return;
  }
  page.found = answer.data.tickets;
  if (page.found.length === 0) {
    hint.dataset.state = "none";
    hint.textContent = wanted.kind === "number" ? t("find_none", { q: wanted.number }) : t("find_id_none");
  } else {
    hint.textContent = t("find_n", { n: page.found.length });
  }
  if (page.found.length === 1) showTicket(page.found[0], "found");
  drawSide();
}

// ---- the station ---------------------------------------------------------------------

function setStation(value) {
  const checked = checkStation(value);
  if (!checked.ok) {
    say("station_bad", null, "warn");
    $("message-title").textContent = t("station_bad", { value: checked.value });
    return false;
  }
  page.station = checked.value || null;
  if (page.station) localStorage.setItem(STATION_KEY, page.station);
  else localStorage.removeItem(STATION_KEY);
  page.keys.settled(); // the next ticket is another request: it prints elsewhere
  drawStation();
  return true;
}

function chooseStation() {
  const found = stationFrom(location.search, localStorage.getItem(STATION_KEY));
  page.station = found.station;
  if (found.source === "address") localStorage.setItem(STATION_KEY, found.station);
  if (found.invalid !== null) {
    say("station_bad", null, "warn");
    $("message-title").textContent = t("station_bad", { value: found.invalid });
  }
}

async function loadCatalogue() {
  const answer = await page.api.get(`/halls/${page.hall}/catalogue`);
  if (!answer.ok) {
    if (problemKey(answer) === "session_ended") toSignIn();
    return false;
  }
  page.catalogue = answer.data;
  page.entries = entriesOf(answer.data);
  $("hall-name").textContent = answer.data.hall.name;
  if (page.choice) page.choice = page.entries.find((e) => e.kind === page.choice.kind && e.code === page.choice.code) ?? null;
  if ($("search").value) page.results = search(page.entries, $("search").value, 30);
  drawAll();
  return true;
}

function connect() {
  page.link = new ScreenLink(
    null,
    {
      state(state) {
        diagnostics.link = state;
        drawLink();
        if (state === "refused") toSignIn(); // the session ended: sign in again
      },
      needsSnapshot() {
        return !page.model.loaded;
      },
      subscribed(data, { snapshot }) {
        if (snapshot) page.model.load(snapshot);
        // print job updates are not replayed: after a reconnect, read the shown one again
        if (page.ticket) loadPrintJob(page.ticket.id);
        listsChanged();
        drawAll();
      },
      event(event) {
        if (!page.model.loaded) return;
        const outcome = page.model.apply(event);
        if (event.type === "ticket_issued" && page.catalogue && event.seq > page.catalogue.seq) {
          const queue = queueOf(event.ticket?.queue);
          if (queue && event.service_day === page.catalogue.service_day) queue.issued += 1;
        }
        if (page.ticket && event.ticket?.id === page.ticket.id && event.ticket.status) {
          page.ticket = { ...page.ticket, status: event.ticket.status };
        }
        if (event.ticket || event.type === "day_started") listsChanged();
        if (outcome.reload) {
          page.link.resubscribe({ snapshot: true });
          loadCatalogue();
        }
        drawAll();
      },
    },
    { hall: page.hall },
  );
  page.link.socket.on("print_job_updated", jobUpdated);
}

// ---- start ---------------------------------------------------------------------------

function keydown(event) {
  const name = keyName(event);
  if (event.isComposing) return;
  const own = { appointment: checkIn, find, "station-input": saveStation }[event.target?.dataset?.testid];
  if (own && (name === "Enter" || name === "Escape")) {
    // these fields have their own Enter (a scanner ends with one); Esc goes back to the search
    event.preventDefault();
    if (name === "Enter") own();
    else {
      if (event.target === $("station-input")) $("station-form").hidden = true;
      $("search").focus();
    }
    return;
  }
  const inReason = event.target === $("cancel-reason");
  if (inReason && !["Enter", "Escape"].includes(name)) return;
  const handled = new Set(["Enter", "Escape", "ArrowUp", "ArrowDown", "F2", "F3"]);
  const alt = /^Alt\+[0-4ICPicp]$/.test(name);
  if (!handled.has(name) && !alt) return;
  if (event.isComposing) return; // an input method is choosing characters: Enter is its own
  event.preventDefault();
  handle({ key: name.replace(/^Alt\+([a-z])$/, (_, letter) => `Alt+${letter.toUpperCase()}`) });
}

async function start() {
  words.translate();
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.addEventListener("click", () => {
      words.set(button.dataset.lang);
      drawAll();
      $("search").focus();
    });
  }
  const session = await currentSession(new Api());
  if (!session) {
    toSignIn();
    return;
  }
  page.user = session.user;
  page.api = new Api({ csrf: session.csrf_token });
  const halls = await page.api.get("/halls");
  const wanted = new URLSearchParams(location.search).get("hall");
  const listed = halls.ok ? halls.data.halls : [];
  page.hall = (wanted ? listed.find((hall) => hall.code === wanted) : listed[0])?.code ?? null;
  if (!page.hall) {
    // ?hall= names a hall this account may not see (or none exists): say so, show nothing
    $("loading").hidden = true;
    $("desk-error").hidden = false;
    $("desk-error").textContent = wanted ? t("unknown_hall", { hall: wanted }) : t("no_hall");
    return;
  }
  chooseStation();
  if (!(await loadCatalogue())) return;
  connect();
  setInterval(loadCatalogue, CATALOGUE_REFRESH_MS);
  $("loading").hidden = true;
  $("desk-main").hidden = false;
  diagnostics.loaded = true;
  document.addEventListener("keydown", keydown);
  $("search").addEventListener("input", () => {
    handle({ typed: true });
    runSearch();
    drawChoice();
  });
  $("id-number").addEventListener("input", drawIdHint);
  $("issue").addEventListener("click", () => {
    page.state = "confirm";
    handle({ key: "Enter" });
  });
  $("cancel").addEventListener("click", () => handle({ key: "Alt+C" }));
  $("reprint").addEventListener("click", () => reprint());
  $("check-in").addEventListener("click", () => checkIn());
  $("station-change").addEventListener("click", () => {
    $("station-form").hidden = false;
    $("station-input").value = page.station ?? "";
    $("station-input").focus();
  });
  $("station-save").addEventListener("click", saveStation);
  for (const tab of document.querySelectorAll("[data-tab]")) tab.addEventListener("click", () => showTab(tab.dataset.tab));
  $("waiting-queue").addEventListener("change", () => {
    page.waiting = { queue: $("waiting-queue").value, tickets: [], next: null };
    loadWaiting();
  });
  $("waiting-more").addEventListener("click", () => loadWaiting({ more: true }));
  $("cancel-confirm").addEventListener("click", () => handle({ key: "Enter" }));
  $("sign-out").addEventListener("click", async () => {
    await page.api.request("DELETE", "/session");
    toSignIn();
  });
  drawAll();
  $("search").focus();
}

start();
