// The self-service kiosk (自助取号机): touch a service, an item or a bundle (一件事), give
// an ID number on the keypad if you like, take a number; the ticket shows on the screen
// with its QR code and its print job's state (live: `print_job_updated` reaches this
// kiosk's device room), and says plainly when the printer cannot print that the screen is
// the ticket. An appointment (预约) is checked in by its booking reference, typed on the
// kiosk's own keyboard or by a scanner. Back to the start after `?idle=` seconds (60 by
// default) without a touch. zh-CN first; zh-TW and English.
//
// No priority class here: 绿色通道 is claimed at the desk, where a guide sees the person
// (DOMAIN.md); no cancelling either. Diagnostics for the browser tests: window.hallQueue.

import { Translator } from "/pages/static/i18n.js";
import { Api } from "/pages/static/session.js";
import { element } from "/screens/static/dom.js";
import { deviceToken, ScreenLink } from "/screens/static/link.js";
import { HallModel } from "/screens/static/model.js";
import { target } from "./catalogue.js";
import { applyQueueWaits, liveFigures } from "./estimate.js";
import { IssueKeys } from "./idempotency.js";
import { checkIdNumber } from "./idnumber.js";
import { IdleTimer, idleSeconds } from "./idle.js";
import { qrContent } from "./phone.js";
import { clockTime, parseReference } from "./finder.js";
import { drawPrintState, PrintJobs, printStateOf } from "./printing.js";
import { problemKey, worthRetrying } from "./problems.js";
import { drawQr } from "./qr.js";
import { KIOSK_WORDS } from "./words.js";

const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);
const words = new Translator(KIOSK_WORDS); // not kept: every visitor starts in zh-CN
const t = (key, params) => words.t(key, params);
const KEYPAD = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "X", "0", "⌫"];
const REFERENCE_KEYS = [..."1234567890QWERTYUIOPASDFGHJKL-ZXCVBNM_", "⌫"];
const MAX_REFERENCE = 64;
const CATALOGUE_REFRESH_MS = 60000;

const kiosk = {
  screen: "start",
  hall: null,
  api: null,
  catalogue: null,
  queue: null, // the queue whose items are listed
  choice: null, // {kind, code, name, queue}
  idNumber: "",
  keypadText: "",
  ticket: null,
  ticketNote: null, // a line over the ticket (an appointment checked in before)
  jobs: new PrintJobs(50),
  jobId: undefined, // the ticket's print job: undefined unknown, null none
  reference: "",
  appointmentMessage: null,
  checkingIn: false,
  message: null,
  issuing: false,
  model: new HallModel(),
  keys: new IssueKeys(),
  idle: null,
  link: null,
};

const diagnostics = {
  get screen() {
    return kiosk.screen;
  },
  get ticket() {
    return kiosk.ticket;
  },
  get language() {
    return words.current;
  },
  get idNumberKept() {
    return kiosk.idNumber !== "" || kiosk.keypadText !== "" || kiosk.keys.pending !== null;
  },
  get idleRunning() {
    return kiosk.idle?.running ?? false;
  },
  get printState() {
    return printStateOf(kiosk.jobs.get(kiosk.jobId), kiosk.jobId !== undefined);
  },
  state: "connecting",
  idleSeconds: idleSeconds(location.search),
  issueRequests: 0,
  lastMessage: null,
};
window.hallQueue = diagnostics;

function queueOf(code) {
  return kiosk.catalogue?.queues.find((queue) => queue.code === code) ?? null;
}

function waitText(live) {
  return live.estimatedWaitMinutes > 0 ? t("wait_about", { n: live.estimatedWaitMinutes }) : t("no_wait");
}

function tile(label, queue, testid, onTouch) {
  const live = liveFigures(queue, kiosk.model);
  const button = element("button", "tile", undefined, testid);
  button.type = "button";
  const unavailable = live.full || !live.issuing;
  button.disabled = unavailable;
  button.append(element("span", "tile-prefix", queue.prefix), element("span", "tile-name", label, "tile-name"));
  const status = unavailable
    ? t(live.full ? "queue_full_badge" : "closed_badge")
    : `${t("waiting_n", { n: live.waiting })} · ${waitText(live)}`;
  button.append(element("span", `tile-figures${unavailable ? " unavailable" : ""}`, status, "tile-figures"));
  button.addEventListener("click", onTouch);
  return button;
}

// ---- screens -------------------------------------------------------------------------

function drawStart() {
  const queues = kiosk.catalogue?.queues ?? [];
  $("queue-tiles").replaceChildren(
    ...queues.map((queue) => {
      const button = tile(queue.name, queue, "queue-tile", () => openQueue(queue));
      button.dataset.queue = queue.code;
      return button;
    }),
  );
  const bundles = kiosk.catalogue?.bundles ?? [];
  $("bundles-title").hidden = bundles.length === 0;
  $("bundle-tiles").replaceChildren(
    ...bundles.map((bundle) => {
      const queue = queueOf(bundle.queue);
      const button = tile(bundle.name, queue, "bundle-tile", () => choose({ ...bundle, kind: "bundle" }));
      button.dataset.bundle = bundle.code;
      return button;
    }),
  );
}

function drawItems() {
  const queue = kiosk.queue;
  if (!queue) return;
  $("items-title").textContent = queue.name;
  const items = (kiosk.catalogue?.items ?? []).filter((item) => item.queue === queue.code);
  const buttons = items.map((item) => {
    const button = element("button", "item", item.name, "item-button");
    button.type = "button";
    button.dataset.item = item.code;
    button.addEventListener("click", () => choose({ ...item, kind: "item" }));
    return button;
  });
  const whole = element("button", "item whole", t("not_sure", { queue: queue.name }), "queue-button");
  whole.type = "button";
  whole.addEventListener("click", () => choose({ ...queue, kind: "queue", queue: queue.code }));
  $("item-list").replaceChildren(...buttons, whole);
}

function drawConfirm() {
  const choice = kiosk.choice;
  if (!choice) return;
  const queue = queueOf(choice.queue);
  const live = liveFigures(queue, kiosk.model);
  const box = $("chosen");
  box.replaceChildren(
    element("div", "chosen-name", choice.name, "chosen-name"),
    element("div", "chosen-queue", choice.kind === "queue" ? "" : queue.name),
    element("div", "chosen-figures", `${t("waiting_n", { n: live.waiting })} · ${waitText(live)}`, "chosen-figures"),
  );
  $("id-value").textContent = kiosk.idNumber ? masked(kiosk.idNumber) : t("id_none");
  $("take").disabled = kiosk.issuing || live.full || !live.issuing;
  $("take").textContent = kiosk.issuing ? t("taking") : t("take_number");
  // the server's refusal, else what the live figures say before anyone taps
  const shown = kiosk.message ?? (live.full ? { key: "msg_queue_full" } : !live.issuing ? { key: "msg_queue_closed" } : null);
  const message = $("kiosk-message");
  message.hidden = !shown;
  message.dataset.key = shown?.key ?? "";
  $("message-title").textContent = shown ? t(shown.key) : "";
  $("message-detail").textContent = shown?.detail ?? "";
}

/** The ID number on the screen, the middle hidden from people standing behind. */
function masked(id) {
  return id.length <= 8 ? id : `${id.slice(0, 4)}${"*".repeat(id.length - 8)}${id.slice(-4)}`;
}

function drawKeypad() {
  $("keypad-display").textContent = kiosk.keypadText || "—";
  const checked = checkIdNumber(kiosk.keypadText);
  const complete = kiosk.keypadText.length === 18;
  $("keypad-hint").textContent =
    kiosk.keypadText && complete && !checked.ok ? t("msg_bad_id_checksum") : `${kiosk.keypadText.length} / 18`;
  $("keypad-hint").dataset.state = complete ? (checked.ok ? "ok" : "bad") : "typing";
  $("keypad-done").disabled = kiosk.keypadText !== "" && !(complete && checked.ok);
}

function drawTicket() {
  const ticket = kiosk.ticket;
  if (!ticket) return;
  $("ticket-number").textContent = ticket.number;
  const chosen = kiosk.choice && kiosk.choice.kind !== "queue" ? ` · ${kiosk.choice.name}` : "";
  $("ticket-queue").textContent = `${ticket.queue_name}${chosen}`;
  const lines = [];
  if (ticket.people_ahead !== undefined) {
    lines.push(ticket.people_ahead > 0 ? t("people_ahead", { n: ticket.people_ahead }) : t("next_one"));
    if (ticket.estimated_wait_minutes > 0) lines.push(t("estimated", { n: ticket.estimated_wait_minutes }));
  }
  $("ticket-figures").textContent = lines.join(" · ");
  const view = drawPrintState($("print-state"), diagnostics.printState, t);
  $("print-note").hidden = !view.needsScreen;
  $("print-note").textContent = view.needsScreen ? t("print_take_screen") : "";
  $("ticket-note").hidden = !kiosk.ticketNote;
  $("ticket-note").textContent = kiosk.ticketNote ? t(kiosk.ticketNote) : "";
  const canvas = $("qr");
  const content = qrContent(ticket, document.body.dataset.phoneBase);
  const portrait = window.matchMedia("(orientation: portrait)").matches;
  const size = Math.round(Math.min(innerWidth, innerHeight) * (portrait ? 0.3 : 0.34));
  if (canvas.dataset.content !== content || canvas.dataset.size !== String(size)) {
    drawQr(canvas, content, size);
    canvas.dataset.size = String(size);
  }
  $("returning").textContent = t("returning", { n: diagnostics.idleSeconds });
}

function drawAppointment() {
  $("reference-display").textContent = kiosk.reference || "—";
  const shown = kiosk.appointmentMessage;
  $("appointment-message").hidden = !shown;
  $("appointment-message").dataset.key = shown?.key ?? "";
  $("appointment-message-title").textContent = shown ? t(shown.key) : "";
  $("appointment-message-detail").textContent = shown?.detail ? (typeof shown.detail === "string" ? shown.detail : t(...shown.detail)) : "";
  $("appointment-submit").disabled = kiosk.checkingIn || kiosk.reference === "";
  $("appointment-submit").textContent = kiosk.checkingIn ? t("appointment_checking") : t("appointment_submit");
}

function draw() {
  words.translate();
  $("kiosk-main").dataset.screen = kiosk.screen;
  $("keypad").hidden = kiosk.screen !== "keypad";
  if (kiosk.screen === "keypad") $("kiosk-main").dataset.screen = "confirm";
  drawStart();
  drawItems();
  drawConfirm();
  drawKeypad();
  drawAppointment();
  drawTicket();
}

function go(screen) {
  kiosk.screen = screen;
  if (screen === "start") {
    kiosk.queue = null;
    kiosk.choice = null;
    kiosk.idNumber = "";
    kiosk.keypadText = "";
    kiosk.ticket = null;
    kiosk.ticketNote = null;
    kiosk.jobId = undefined;
    kiosk.reference = "";
    kiosk.appointmentMessage = null;
    kiosk.message = null;
    kiosk.keys.settled();
    words.set("zh-CN"); // the next visitor starts in Simplified Chinese
    kiosk.idle.stop();
  } else {
    kiosk.idle.poke();
  }
  draw();
}

// ---- touches -------------------------------------------------------------------------

function openQueue(queue) {
  const items = (kiosk.catalogue?.items ?? []).filter((item) => item.queue === queue.code);
  kiosk.queue = queue;
  if (items.length === 0) {
    choose({ ...queue, kind: "queue", queue: queue.code });
    return;
  }
  go("items");
}

function choose(choice) {
  kiosk.choice = choice;
  kiosk.message = null;
  go("confirm");
}

function pressKey(key) {
  if (key === "⌫") kiosk.keypadText = kiosk.keypadText.slice(0, -1);
  else if (kiosk.keypadText.length < 18 && (key !== "X" || kiosk.keypadText.length === 17)) kiosk.keypadText += key;
  drawKeypad();
}

async function take() {
  if (kiosk.issuing || !kiosk.choice) return;
  kiosk.message = null;
  const request = target(kiosk.choice);
  if (kiosk.idNumber) request.id_number = kiosk.idNumber;
  const key = kiosk.keys.keyFor(request);
  kiosk.issuing = true;
  draw();
  diagnostics.issueRequests += 1;
  const answer = await kiosk.api.post(`/halls/${kiosk.hall}/tickets`, request, { "Idempotency-Key": key });
  kiosk.issuing = false;
  if (answer.ok) {
    kiosk.keys.settled();
    kiosk.idNumber = ""; // not kept on the kiosk once the number is issued
    showTicket(answer.data);
    return;
  }
  if (!worthRetrying(answer)) kiosk.keys.settled();
  const problem = problemKey(answer);
  kiosk.message = { key: `msg_${problem}`, detail: words.current === "zh-CN" ? (answer.problem?.detail ?? null) : null };
  diagnostics.lastMessage = kiosk.message.key;
  if (problem === "bad_id" || problem === "duplicate_ticket") kiosk.idNumber = "";
  draw();
}

/** The ticket on the screen, with its print job (null: this kiosk prints nowhere). */
function showTicket(ticket, note = null) {
  kiosk.ticket = ticket;
  kiosk.ticketNote = note;
  kiosk.jobs.offer(ticket.print_job ?? null);
  kiosk.jobId = ticket.print_job?.id ?? null;
  go("ticket");
}

function jobUpdated(payload) {
  const job = payload?.job;
  if (!job || !kiosk.jobs.offer(job)) return;
  if (kiosk.screen === "ticket" && job.id === kiosk.jobId) drawTicket();
}

// ---- appointments --------------------------------------------------------------------

function pressReferenceKey(key) {
  if (kiosk.checkingIn) return;
  if (key === "⌫") kiosk.reference = kiosk.reference.slice(0, -1);
  else if (kiosk.reference.length < MAX_REFERENCE) kiosk.reference += key;
  kiosk.appointmentMessage = null;
  drawAppointment();
}

function appointmentProblem(answer) {
  const problem = answer.problem ?? {};
  const detail = words.current === "zh-CN" ? (problem.detail ?? null) : null;
  switch (problem.code) {
    case "appointment_too_early": {
      const time = clockTime(problem.check_in_from, kiosk.catalogue?.hall?.timezone);
      return { key: "msg_appointment_too_early", detail: time ? ["msg_appointment_too_early_at", { time }] : detail };
    }
    case "appointment_late":
      return { key: "msg_appointment_late", detail };
    case "appointment_checked_in":
      return { key: "msg_appointment_checked_in", detail };
    case "appointment_closed":
      return { key: "msg_appointment_closed", detail };
    case "not_found":
      return { key: "msg_appointment_unknown", detail: null };
    case "invalid_input":
      return { key: "msg_appointment_format", detail: null };
    default: {
      const key = problemKey(answer);
      const known = ["queue_full", "queue_closed", "duplicate_ticket", "network", "busy"].includes(key);
      return { key: known ? `msg_${key}` : "msg_appointment_failed", detail };
    }
  }
}

async function checkIn() {
  if (kiosk.checkingIn) return;
  const reference = parseReference(kiosk.reference);
  if (!reference.ok) {
    kiosk.appointmentMessage = { key: reference.error === "empty" ? "msg_appointment_empty" : "msg_appointment_format" };
    drawAppointment();
    return;
  }
  kiosk.checkingIn = true;
  kiosk.appointmentMessage = null;
  drawAppointment();
  const answer = await kiosk.api.post(`/halls/${kiosk.hall}/appointments/${encodeURIComponent(reference.value)}/check-in`, {});
  kiosk.checkingIn = false;
  if (answer.ok) {
    kiosk.reference = ""; // the booking reference checks in: not left on the screen
    const replayed = answer.headers?.get("Idempotent-Replayed") === "true";
    showTicket(answer.data, replayed ? "appointment_replayed" : null);
    return;
  }
  kiosk.appointmentMessage = appointmentProblem(answer);
  diagnostics.lastMessage = kiosk.appointmentMessage.key;
  drawAppointment();
}

/** A scanner at the kiosk types the reference and Enter, as a keyboard would. */
function scannerKey(event) {
  if (kiosk.screen !== "appointment" || event.altKey || event.ctrlKey || event.metaKey) return;
  kiosk.idle.poke();
  if (event.key === "Enter") {
    event.preventDefault();
    checkIn();
  } else if (event.key === "Backspace") {
    pressReferenceKey("⌫");
  } else if (/^[A-Za-z0-9_-]$/.test(event.key)) {
    pressReferenceKey(event.key);
  }
}

// ---- start ---------------------------------------------------------------------------

function block(message) {
  $("token-error").hidden = false;
  $("token-error-message").textContent = message;
  $("kiosk-main").hidden = true;
  document.querySelector(".connecting")?.remove();
  diagnostics.state = "refused";
}

async function loadCatalogue() {
  const answer = await kiosk.api.get(`/halls/${kiosk.hall}/catalogue`);
  if (!answer.ok) return false;
  kiosk.catalogue = answer.data;
  $("hall-name").textContent = answer.data.hall.name;
  if (kiosk.queue) kiosk.queue = queueOf(kiosk.queue.code);
  draw();
  return true;
}

async function start() {
  words.translate();
  const token = deviceToken();
  if (!token) {
    block(t("token_missing"));
    return;
  }
  kiosk.api = new Api({ bearer: token });
  const who = await kiosk.api.get("/session");
  if (!who.ok) {
    block(who.status === 401 ? t("token_refused") : t("msg_network"));
    return;
  }
  if (who.data.user.role !== "kiosk") {
    block(t("wrong_kind"));
    return;
  }
  kiosk.idle = new IdleTimer(diagnostics.idleSeconds, () => go("start"));
  kiosk.link = new ScreenLink(token, {
    state(state, detail) {
      diagnostics.state = state;
      if (state === "refused") {
        block(detail || t("token_refused"));
        return;
      }
      $("offline-badge").hidden = state !== "offline";
      $("offline-badge").textContent = t("offline");
    },
    needsSnapshot() {
      return !kiosk.model.loaded;
    },
    async subscribed(data, { snapshot }) {
      if (snapshot) kiosk.model.load(snapshot);
      const first = kiosk.hall === null;
      kiosk.hall = data.scope?.hall ?? kiosk.hall;
      $("token-error").hidden = true;
      if (first) {
        await loadCatalogue();
        setInterval(loadCatalogue, CATALOGUE_REFRESH_MS);
        document.querySelector(".connecting")?.remove();
        $("kiosk-main").hidden = false;
      }
      draw();
    },
    event(event) {
      if (!kiosk.model.loaded) return;
      const outcome = kiosk.model.apply(event);
      if (event.type === "ticket_issued" && kiosk.catalogue && event.seq > kiosk.catalogue.seq) {
        const queue = queueOf(event.ticket?.queue);
        if (queue && event.service_day === kiosk.catalogue.service_day) queue.issued += 1;
      }
      if (outcome.reload) {
        kiosk.link.resubscribe({ snapshot: true });
        loadCatalogue();
      }
      if (kiosk.screen !== "ticket") draw(); // the ticket screen keeps what was issued
    },
  });

  kiosk.link.socket.on("print_job_updated", jobUpdated);
  kiosk.link.socket.on("queue_waits_estimated", (pushed) => {
    if (applyQueueWaits(kiosk.catalogue, pushed) && kiosk.screen !== "ticket") draw();
  });

  for (const button of document.querySelectorAll("[data-lang]")) {
    button.addEventListener("click", () => {
      words.set(button.dataset.lang);
      if (kiosk.screen !== "start") kiosk.idle.poke();
      draw();
    });
  }
  $("appointment-start").addEventListener("click", () => go("appointment"));
  $("appointment-back").addEventListener("click", () => go("start"));
  $("appointment-submit").addEventListener("click", checkIn);
  $("reference-keys").replaceChildren(
    ...REFERENCE_KEYS.map((key) => {
      const button = element("button", key === "⌫" ? "key erase" : "key", key, `ref-key-${key === "⌫" ? "erase" : key}`);
      button.type = "button";
      button.addEventListener("click", () => pressReferenceKey(key));
      return button;
    }),
  );
  document.addEventListener("keydown", scannerKey);
  $("back").addEventListener("click", () => go("start"));
  $("confirm-back").addEventListener("click", () => go(kiosk.choice?.kind === "item" ? "items" : "start"));
  $("id-open").addEventListener("click", () => {
    kiosk.keypadText = kiosk.idNumber;
    go("keypad");
  });
  $("keypad-keys").replaceChildren(
    ...KEYPAD.map((key) => {
      const button = element("button", key === "⌫" ? "key erase" : "key", key, `key-${key === "⌫" ? "erase" : key}`);
      button.type = "button";
      button.addEventListener("click", () => pressKey(key));
      return button;
    }),
  );
  $("keypad-done").addEventListener("click", () => {
    kiosk.idNumber = checkIdNumber(kiosk.keypadText).ok ? kiosk.keypadText : "";
    kiosk.keypadText = "";
    go("confirm");
  });
  $("keypad-skip").addEventListener("click", () => {
    kiosk.idNumber = "";
    kiosk.keypadText = "";
    go("confirm");
  });
  $("take").addEventListener("click", take);
  $("done").addEventListener("click", () => go("start"));
  // every touch on a screen other than the start gives the visitor their time again
  document.addEventListener("pointerdown", () => {
    if (kiosk.screen !== "start") kiosk.idle.poke();
  });
  window.addEventListener("resize", draw);
}

start();
