// The clerk's console (窗口工作台): choose and open a window, then call, recall, mark a
// no-show, start, finish (outcome and items served), transfer, suspend and resume, pause
// and resume the window, by big buttons or by shortcut keys the clerk sets (a USB caller
// keypad types keys). Shows the ticket in hand, the queues served with their live waiting
// counts, the next few, the suspended ones, and the clerk's own figures today.
//
// Every command goes over HTTP with its own Idempotency-Key (counter-state.js's
// CommandSender): a network blink is said on the page and the command is sent again with
// the same key, so the server runs it once. Live figures come over Socket.IO with the
// clerk's session (the screens' link.js and model.js); the window's details are read again
// (GET …/windows/{n}) once a burst of events is over. Diagnostics for the browser tests:
// window.hallQueue. The parts: counter-page.js (the shared page state), counter-draw.js
// (drawing).

import { startStaffPage } from "/pages/static/staff-page.js";
import { element } from "/screens/static/dom.js";
import { ScreenLink } from "/screens/static/link.js";
import { entriesOf, search } from "/ticket-printer/static/catalogue.js";
import { randomKey } from "/ticket-printer/static/idempotency.js";
import { actionFor, assign, defaults, keyName, loadKeys, shownKey } from "./counter-keys.js";
import { COMMANDS, CommandSender, allowedActions } from "./counter-state.js";
import { drawActions, drawAll, drawFinish, drawHeader, drawKeys, drawOffline, drawSide } from "./counter-draw.js";
import { $, WINDOW_STORAGE, diagnostics, page, say, sayProblem, t, toSignIn, words } from "./counter-page.js";

const KEYS_STORAGE = "hallQueue.counterKeys";
const REFRESH_AFTER_MS = 150; // a burst of events: read the window once it is over

// ---- reading ---------------------------------------------------------------------------

async function loadDay() {
  const answer = await page.api.get(`/halls/${page.hall}/clerk/today`);
  if (!answer.ok) return answer;
  page.day = answer.data;
  page.window = answer.data.window;
  return answer;
}

async function loadView() {
  if (!page.window) {
    page.view = null;
    return null;
  }
  const answer = await page.api.get(`/halls/${page.hall}/windows/${page.window}`);
  if (answer.ok) {
    page.view = answer.data;
    if (page.view.window.status === "closed" || page.view.window.clerk === null) {
      // closed meanwhile (signed out elsewhere, released by a manager): choose again
      page.window = null;
      page.view = null;
      await loadDay();
    }
  } else if (answer.status === 403 || answer.status === 404) {
    page.window = null;
    page.view = null;
    await loadDay();
  } else if (answer.problem?.code === "unauthenticated") {
    toSignIn();
  }
  drawAll();
  return answer;
}

function refreshSoon({ day = false } = {}) {
  page.refreshDay ||= day;
  clearTimeout(page.refreshTimer);
  page.refreshTimer = setTimeout(async () => {
    const wantDay = page.refreshDay;
    page.refreshDay = false;
    if (wantDay) await loadDay();
    await loadView();
  }, REFRESH_AFTER_MS);
}

async function loadCatalogue() {
  const answer = await page.api.get(`/halls/${page.hall}/catalogue`);
  if (answer.ok) {
    page.catalogue = answer.data;
    page.entries = entriesOf(answer.data).filter((e) => e.kind === "item");
  }
}

// ---- commands --------------------------------------------------------------------------

/** Run a window command: one Idempotency-Key, retried on a network blink, then read the
 * window again. Returns the answer. */
async function run(action, body = {}, number = page.window) {
  if (page.sender.busy) {
    say("msg_failed", t("busy_pending", { command: t(`action_${page.sender.state.command}`) }), "warn");
    return { ok: false, busy: true };
  }
  const path = `/halls/${page.hall}/windows/${number}/${COMMANDS[action]}`;
  diagnostics.commandsSent += 1;
  diagnostics.lastCommand = action;
  say(null);
  drawAll();
  const answer = await page.sender.send(action, path, body);
  if (answer.abandoned) {
    say("msg_failed", t("abandoned", { command: t(`action_${action}`) }), "warn");
    await loadView();
    return answer;
  }
  if (!answer.ok) {
    if (answer.problem?.code === "unauthenticated") {
      toSignIn();
      return answer;
    }
    sayProblem(answer);
    await loadView();
    return answer;
  }
  const leaves = ["finish", "no_show", "transfer", "suspend", "open", "close"].includes(action);
  if (leaves) await loadDay();
  if (action === "close") {
    page.window = null;
    page.view = null;
    drawAll();
    return answer;
  }
  if (page.view) page.view = { ...page.view, window: answer.data };
  await loadView();
  return answer;
}

async function openWindow(number) {
  const answer = await run("open", {}, number);
  if (answer.ok) {
    page.window = number;
    try {
      localStorage.setItem(WINDOW_STORAGE, String(number));
    } catch {
      // storage disabled: the last window is not remembered
    }
    await loadView();
    if (!page.view) return;
  }
}

function doAction(action) {
  const allowed = allowedActions(page.view?.window);
  if (!allowed.has(action)) return;
  switch (action) {
    case "finish":
    case "transfer":
    case "suspend":
    case "call_number":
      openDialog(action);
      return;
    case "pause":
      run(page.view.window.status === "paused" ? "resume_window" : "pause");
      return;
    default:
      run(action);
  }
}

function openDialog(name) {
  page.dialog = name;
  say(null);
  if (name === "finish") {
    page.outcome = "accepted";
    page.items = [];
    page.itemResults = [];
    $("item-search").value = "";
  }
  if (name === "transfer") fillTransfer();
  if (name === "suspend") $("suspend-reason").value = "";
  if (name === "call_number") {
    $("call-number-input").value = "";
    $("call-number-reason").value = "";
  }
  drawAll();
  const focus = { finish: "item-search", transfer: "transfer-queue", suspend: "suspend-reason", call_number: "call-number-input" };
  $(focus[name]).focus();
}

/** 指定叫号 with the number given (a click on a ticket of the next few). */
function callNumber(number) {
  if (!allowedActions(page.view?.window).has("call_number") || page.sender.busy) return;
  openDialog("call_number");
  $("call-number-input").value = number;
  $("call-number-reason").focus();
}

function closeDialog() {
  page.dialog = null;
  drawAll();
}

function fillTransfer() {
  const ticketQueue = page.view?.ticket?.queue;
  const queues = page.catalogue?.queues ?? [];
  const select = $("transfer-queue");
  const same = element("option", "", t("same_queue"));
  same.value = "";
  select.replaceChildren(
    same,
    ...queues
      .filter((q) => q.code !== ticketQueue)
      .map((q) => {
        const option = element("option", "", `${q.prefix} ${q.name}`);
        option.value = q.code;
        return option;
      }),
  );
  const windows = (page.day?.windows ?? []).filter((w) => w.number !== page.window && w.status !== "closed");
  const none = element("option", "", t("no_window"));
  none.value = "";
  $("transfer-window").replaceChildren(
    none,
    ...windows.map((w) => {
      const option = element("option", "", w.name);
      option.value = String(w.number);
      return option;
    }),
  );
  $("transfer-reason").value = "";
}

async function confirmDialog() {
  const name = page.dialog;
  if (name === "finish") {
    const body = { outcome: page.outcome };
    if (page.items.length) body.items = page.items;
    const answer = await run("finish", body);
    if (answer.ok) closeDialog();
  } else if (name === "transfer") {
    const body = {};
    if ($("transfer-queue").value) body.to_queue = $("transfer-queue").value;
    if ($("transfer-window").value) body.to_window = Number($("transfer-window").value);
    if (!body.to_queue && !body.to_window) {
      say("msg_transfer_target", null, "warn");
      return;
    }
    const reason = $("transfer-reason").value.trim();
    if (reason) body.reason = reason;
    const answer = await run("transfer", body);
    if (answer.ok) closeDialog();
  } else if (name === "suspend") {
    const reason = $("suspend-reason").value.trim();
    const answer = await run("suspend", reason ? { reason } : {});
    if (answer.ok) closeDialog();
  } else if (name === "call_number") {
    const number = $("call-number-input").value.trim().toUpperCase();
    if (!/^[A-Z][0-9]{3}$/.test(number)) {
      say("msg_number_needed", null, "warn");
      $("call-number-input").focus();
      return;
    }
    const reason = $("call-number-reason").value.trim();
    const answer = await run("call_number", reason ? { ticket_number: number, reason } : { ticket_number: number });
    if (answer.ok) closeDialog();
    else if (answer.problem?.code === "reason_required") $("call-number-reason").focus();
  }
}

function searchItems() {
  const queue = page.view?.ticket?.queue;
  const own = page.entries.filter((entry) => !queue || entry.queue === queue);
  page.itemResults = search(own.length ? own : page.entries, $("item-search").value, 8).filter((e) => !page.items.includes(e.code));
  drawFinish();
}

function pickItem(code) {
  if (!page.items.includes(code)) page.items = [...page.items, code];
  $("item-search").value = "";
  page.itemResults = [];
  drawFinish();
  $("item-search").focus();
}

// ---- keys ------------------------------------------------------------------------------

function saveKeys(keys) {
  page.keys = keys;
  try {
    localStorage.setItem(KEYS_STORAGE, JSON.stringify(keys));
  } catch {
    // storage disabled: the keys hold for this visit
  }
  drawAll();
}

function keydown(event) {
  if (event.isComposing) return; // an input method is choosing characters
  const name = keyName(event);
  if (!name) return;
  if (page.recording) {
    event.preventDefault();
    if (name === "Escape") {
      page.recording = null;
      drawKeys();
      return;
    }
    const { keys, refused, from } = assign(page.keys, page.recording, name);
    const shown = shownKey(name, t("numpad"));
    if (refused) say("msg_failed", t("keys_refused", { key: shown }), "warn");
    else if (from) say("msg_failed", t("keys_moved", { key: shown, from: t(`action_${from}`), to: t(`action_${page.recording}`) }), "info");
    page.recording = null;
    if (!refused) saveKeys(keys);
    else drawKeys();
    return;
  }
  if (!$("keys-settings").hidden) {
    if (name === "Escape") closeKeySettings();
    return;
  }
  const action = actionFor(page.keys, name);
  if (page.dialog) {
    if (name === "Escape") {
      event.preventDefault();
      closeDialog();
    } else if (name === "Enter" || name === "NumpadEnter" || action === page.dialog) {
      // Enter in the item search picks the first match; elsewhere it confirms
      event.preventDefault();
      if (page.dialog === "finish" && event.target === $("item-search") && page.itemResults.length && name !== action) {
        pickItem(page.itemResults[0].code);
      } else confirmDialog();
    } else if (page.dialog === "finish" && /^Alt\+[1-4]$/.test(name)) {
      event.preventDefault();
      page.outcome = ["accepted", "consulted", "collected", "other"][Number(name.slice(4)) - 1];
      drawFinish();
    }
    return;
  }
  if (!action || !page.view) return;
  event.preventDefault();
  doAction(action);
}

function openKeySettings() {
  $("keys-settings").hidden = false;
  page.recording = null;
  drawKeys();
}

function closeKeySettings() {
  $("keys-settings").hidden = true;
  page.recording = null;
  drawKeys();
}

// ---- the live link -----------------------------------------------------------------------

function connect() {
  page.link = new ScreenLink(
    null,
    {
      state(state) {
        diagnostics.link = state;
        if (state === "online") page.sender.retryNow();
        if (state === "refused") toSignIn();
        drawHeader();
        drawOffline();
      },
      needsSnapshot() {
        return !page.model.loaded;
      },
      subscribed(data, { snapshot }) {
        if (snapshot) page.model.load(snapshot);
        refreshSoon({ day: true }); // missed while away: read the window again
        drawAll();
      },
      event(event) {
        if (!page.model.loaded) return;
        const outcome = page.model.apply(event);
        if (outcome.reload) page.link.resubscribe({ snapshot: true });
        const here = event.window?.number === page.window;
        const served = new Set((page.view?.queues ?? []).map((q) => q.code));
        const touches = here || Object.keys(event.waiting ?? {}).some((code) => served.has(code)) || event.type === "day_started";
        if (touches) refreshSoon({ day: here || event.type === "day_started" });
        if (event.window?.number && event.type.startsWith("window_")) refreshSoon({ day: true });
        drawSide();
      },
    },
    { hall: page.hall },
  );
}

// ---- start -----------------------------------------------------------------------------

async function start() {
  words.translate();
  page.keys = loadKeys(localStorage.getItem(KEYS_STORAGE));
  const started = await startStaffPage({
    onLanguage: (lang) => {
      words.set(lang);
      drawAll();
    },
    returnTo: "/counter",
  });
  if (!started) return;
  page.api = started.api;
  page.do = { openWindow, run, pickItem, saveKeys, callNumber };
  page.sender = new CommandSender({
    post: (path, body, headers) => page.api.post(path, body, headers),
    newKey: () => randomKey("window"),
    onChange: () => {
      drawOffline();
      if (page.view) drawActions();
    },
  });
  const halls = await page.api.get("/halls");
  const wanted = new URLSearchParams(location.search).get("hall");
  const listed = halls.ok ? halls.data.halls : [];
  page.hall = (wanted ? listed.find((hall) => hall.code === wanted) : listed[0])?.code ?? null;
  if (!page.hall) {
    $("loading").hidden = true;
    $("counter-error").hidden = false;
    $("counter-error").textContent = wanted ? t("unknown_hall", { hall: wanted }) : t("no_hall");
    return;
  }
  const day = await loadDay();
  if (!day.ok) {
    $("loading").hidden = true;
    $("counter-error").hidden = false;
    $("counter-error").textContent = day.problem?.detail ?? t("msg_failed");
    return;
  }
  await Promise.all([loadCatalogue(), loadView()]);
  connect();
  $("loading").hidden = true;
  diagnostics.loaded = true;
  document.addEventListener("keydown", keydown);
  for (const button of document.querySelectorAll("[data-action]")) {
    button.addEventListener("click", () => doAction(button.dataset.action));
  }
  for (const button of document.querySelectorAll("[data-outcome]")) {
    button.addEventListener("click", () => {
      page.outcome = button.dataset.outcome;
      drawFinish();
    });
  }
  for (const button of document.querySelectorAll("[data-dialog-cancel]")) button.addEventListener("click", closeDialog);
  for (const id of ["finish-confirm", "transfer-confirm", "suspend-confirm", "call-number-confirm"]) {
    $(id).addEventListener("click", confirmDialog);
  }
  $("item-search").addEventListener("input", searchItems);
  $("offline-abandon").addEventListener("click", () => page.sender.abandon());
  $("keys-open").addEventListener("click", openKeySettings);
  $("keys-close").addEventListener("click", closeKeySettings);
  $("keys-reset").addEventListener("click", () => saveKeys(defaults()));
  drawAll();
}

start();
