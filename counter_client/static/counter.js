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
// window.hallQueue.

import { Translator } from "/pages/static/i18n.js";
import { Api, currentSession, signInAddress } from "/pages/static/session.js";
import { element } from "/screens/static/dom.js";
import { ScreenLink } from "/screens/static/link.js";
import { HallModel } from "/screens/static/model.js";
import { entriesOf, search } from "/ticket-printer/static/catalogue.js";
import { randomKey } from "/ticket-printer/static/idempotency.js";
import { ACTIONS, actionFor, assign, defaults, keyName, loadKeys, shownKey, unassign } from "./counter-keys.js";
import { COMMANDS, CommandSender, allowedActions, duration } from "./counter-state.js";
import { COUNTER_WORDS } from "./counter-words.js";

const KEYS_STORAGE = "hallQueue.counterKeys";
const WINDOW_STORAGE = "hallQueue.counterWindow";
const REFRESH_AFTER_MS = 150; // a burst of events: read the window once it is over

const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);
const words = new Translator(COUNTER_WORDS, { storageKey: "hallQueue.staffLanguage" });
const t = (key, params) => words.t(key, params);

const page = {
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
};

const diagnostics = {
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

// ---- drawing -------------------------------------------------------------------------

function say(key, detail = null, tone = "alert") {
  const box = $("message");
  box.hidden = !key;
  box.dataset.tone = tone;
  box.dataset.key = key ?? "";
  $("message-title").textContent = key ? t(key) : "";
  $("message-detail").textContent = detail ?? "";
  diagnostics.lastMessage = key;
}

function sayProblem(answer) {
  const code = answer.problem?.code ?? "failed";
  const key = COUNTER_WORDS["zh-CN"][`msg_${code}`] ? `msg_${code}` : "msg_failed";
  say(key, answer.problem?.detail ?? null);
}

function durationText(seconds) {
  return duration(seconds, { h: t("duration_h"), m: t("duration_m"), s: t("duration_s") });
}

function actionLabel(action) {
  if (action === "pause" && page.view?.window?.status === "paused") return t("action_resume_window");
  return t(`action_${action}`);
}

function keysOf(action) {
  return (page.keys[action] ?? []).map((name) => shownKey(name, t("numpad")));
}

function drawHeader() {
  $("hall-name").textContent = page.day?.hall?.name ?? "";
  const badge = $("window-badge");
  badge.hidden = !page.window;
  badge.textContent = page.view?.window?.name ?? (page.window ? `${page.window}` : "");
  badge.dataset.status = page.view?.window?.status ?? "";
  const state = diagnostics.link;
  $("link-state").dataset.state = state;
  $("link-state").textContent = t(state === "refused" ? "offline" : state);
}

function drawOffline() {
  const state = page.sender?.state ?? { phase: "idle" };
  const linkDown = diagnostics.link === "offline";
  const retrying = state.phase === "retrying";
  const box = $("offline");
  box.hidden = !linkDown && !retrying;
  box.dataset.state = retrying ? "retrying" : linkDown ? "offline" : "online";
  $("offline-title").textContent = t("offline_title");
  $("offline-detail").textContent = retrying
    ? t("retrying", { command: t(`action_${state.command}`), n: state.attempts })
    : t("offline_detail");
  $("offline-abandon").hidden = !retrying;
}

function drawChooser() {
  const list = $("window-list");
  const windows = (page.day?.windows ?? []).filter((w) => w.may_open);
  $("chooser-hint").textContent = windows.length ? t("choose_hint") : t("no_window_allowed");
  const last = Number(localStorage.getItem(WINDOW_STORAGE) ?? 0);
  list.replaceChildren(
    ...windows.map((w) => {
      const row = element("li", "window-choice", undefined, "window-choice");
      row.dataset.window = String(w.number);
      row.classList.toggle("last", w.number === last);
      const head = element("span", "choice-name", w.name);
      const state = element("span", `state state-${w.status}`, t(`window_status_${w.status}`));
      const tags = element("span", "tags");
      if (w.own) tags.append(element("span", "tag own", t("own_window")));
      if (w.covering) tags.append(element("span", "tag cover", t("covering_window"), "covering-tag"));
      if (w.clerk) tags.append(element("span", "tag held", t("held_by", { clerk: w.clerk })));
      const open = element("button", "primary", t("open_window"), `open-${w.number}`);
      open.type = "button";
      open.disabled = w.status !== "closed";
      open.addEventListener("click", () => openWindow(w.number));
      row.append(head, state, tags, open);
      return row;
    }),
  );
}

function drawTicket() {
  const box = $("ticket");
  const ticket = page.view?.ticket ?? null;
  const windowStatus = page.view?.window?.status;
  box.dataset.state = ticket ? ticket.status : windowStatus === "paused" ? "paused" : "none";
  $("ticket-number").textContent = ticket?.number ?? "";
  $("ticket-status").textContent = ticket ? t(`status_${ticket.status}`) : "";
  $("ticket-empty").hidden = Boolean(ticket);
  $("ticket-empty").textContent = windowStatus === "paused" ? t("window_paused") : t("no_ticket");
  $("ticket-facts").hidden = !ticket;
  const priority = $("ticket-priority");
  priority.hidden = !ticket?.priority;
  priority.textContent = ticket?.priority ? t(`priority_${ticket.priority}`) : "";
  if (!ticket) return;
  $("ticket-queue").textContent = ticket.queue_name;
  $("ticket-item").textContent = ticket.bundle_name
    ? t("bundle", { name: ticket.bundle_name })
    : (ticket.item_name ?? t("by_queue"));
  $("ticket-waited").textContent = durationText(ticket.waited_seconds);
  const earlier = ticket.earlier_windows ?? [];
  $("ticket-earlier").textContent = earlier.length
    ? earlier
        .map((v) => t("earlier", { name: v.name, ending: t(`ending_${v.ending}`), time: durationText(v.handling_seconds) }))
        .join("；")
    : t("none");
}

function drawActions() {
  const allowed = allowedActions(page.view?.window);
  const busy = page.sender?.busy ?? false;
  for (const button of document.querySelectorAll("[data-action]")) {
    const action = button.dataset.action;
    const label = element("span", "label", actionLabel(action));
    const keys = action === "close" ? [] : keysOf(action);
    button.replaceChildren(label);
    if (keys.length) button.append(element("kbd", "key", keys.join(" / ")));
    button.disabled = busy || !allowed.has(action) || (page.dialog !== null && page.dialog !== action);
    button.classList.toggle("pending", page.sender?.state.command === action);
  }
}

function drawSide() {
  const view = page.view;
  if (!view) return;
  $("queues").replaceChildren(
    ...view.queues.map((queue) => {
      const live = page.model.loaded ? page.model.queues.get(queue.code) : null;
      const waiting = live ? live.waiting : queue.waiting;
      const row = element("li", "queue-row", undefined, "queue-row");
      row.dataset.queue = queue.code;
      row.append(
        element("span", "prefix", queue.prefix),
        element("span", "queue-name", queue.name),
        element("span", "waiting", t("waiting_n", { n: waiting }), "queue-waiting"),
      );
      return row;
    }),
  );
  if (view.sent_here) $("queues").append(element("li", "queue-row sent", t("sent_here_n", { n: view.sent_here })));
  const next = view.next.map((ticket) => {
    const row = element("li", "ticket-row", undefined, "next-row");
    row.append(element("span", "number", ticket.number), element("span", "queue-name", ticket.queue_name));
    if (ticket.priority) row.append(element("span", "tag priority", t(`priority_${ticket.priority}`)));
    if (ticket.sent_here) row.append(element("span", "tag", t("sent_here")));
    return row;
  });
  $("next").replaceChildren(...(next.length ? next : [element("li", "empty", t("next_empty"))]));
  const allowed = allowedActions(view.window);
  const suspended = view.suspended.map((ticket) => {
    const row = element("li", "ticket-row", undefined, "suspended-row");
    row.dataset.number = ticket.number;
    const resume = element("button", "", t("action_resume_ticket"), `resume-${ticket.number}`);
    resume.type = "button";
    resume.disabled = !allowed.has("resume_ticket") || (page.sender?.busy ?? false);
    resume.addEventListener("click", () => run("resume_ticket", { ticket_number: ticket.number }));
    row.append(element("span", "number", ticket.number), element("span", "queue-name", ticket.queue_name), resume);
    return row;
  });
  $("suspended").replaceChildren(...(suspended.length ? suspended : [element("li", "empty", t("suspended_empty"))]));
}

function drawToday() {
  const today = page.day?.today;
  $("today-served").textContent = today ? String(today.served) : "—";
  $("today-average").textContent = today?.average_handling_seconds ? durationText(today.average_handling_seconds) : "—";
  $("today-no-shows").textContent = today ? String(today.no_shows) : "—";
}

function drawDialogs() {
  for (const dialog of document.querySelectorAll("[data-dialog]")) dialog.hidden = dialog.dataset.dialog !== page.dialog;
  $("actions").hidden = page.dialog !== null; // the dialog takes the buttons' place: Enter, Esc or its key again
  if (page.dialog === "finish") drawFinish();
}

function drawFinish() {
  for (const button of document.querySelectorAll("[data-outcome]")) {
    button.textContent = t(`outcome_${button.dataset.outcome}`);
    button.classList.toggle("active", button.dataset.outcome === page.outcome);
    button.setAttribute("aria-pressed", String(button.dataset.outcome === page.outcome));
  }
  $("item-results").replaceChildren(
    ...page.itemResults.map((entry, index) => {
      const row = element("li", "result", undefined, "item-result");
      row.dataset.code = entry.code;
      row.classList.toggle("highlighted", index === 0);
      row.append(element("span", "name", entry.name), element("span", "initials", entry.initials ?? ""));
      row.addEventListener("click", () => pickItem(entry.code));
      return row;
    }),
  );
  const chosen = page.items.map((code) => {
    const item = page.catalogue?.items.find((i) => i.code === code);
    const chip = element("li", "chip", undefined, "item-chosen");
    chip.dataset.code = code;
    const remove = element("button", "remove", "×");
    remove.type = "button";
    remove.title = t("remove");
    remove.addEventListener("click", () => {
      page.items = page.items.filter((c) => c !== code);
      drawFinish();
    });
    chip.append(element("span", "", item?.name ?? code), remove);
    return chip;
  });
  $("items-chosen").replaceChildren(...(chosen.length ? chosen : [element("li", "empty", t("no_items"))]));
}

function drawKeys() {
  const footer = $("keys");
  footer.replaceChildren(element("strong", "", t("keys_title")));
  for (const action of ACTIONS) {
    const keys = keysOf(action);
    if (!keys.length) continue;
    const entry = element("span", "key-entry", undefined, `key-${action}`);
    entry.append(element("kbd", "", keys.join(" / ")), element("span", "", t(`action_${action}`)));
    footer.append(entry);
  }
  if ($("keys-settings").hidden) return;
  $("key-table").replaceChildren(
    ...ACTIONS.map((action) => {
      const row = element("tr", "", undefined, `key-row-${action}`);
      const chips = element("td", "key-chips");
      for (const name of page.keys[action]) {
        const chip = element("span", "chip", undefined, "key-chip");
        chip.dataset.key = name;
        const remove = element("button", "remove", "×");
        remove.type = "button";
        remove.title = t("remove");
        remove.addEventListener("click", () => saveKeys(unassign(page.keys, action, name)));
        chip.append(element("kbd", "", shownKey(name, t("numpad"))), remove);
        chips.append(chip);
      }
      const add = element("button", page.recording === action ? "recording" : "", page.recording === action ? t("keys_press") : t("keys_add"), `key-add-${action}`);
      add.type = "button";
      add.addEventListener("click", () => {
        page.recording = page.recording === action ? null : action;
        drawKeys();
      });
      const addCell = element("td");
      addCell.append(add);
      row.append(element("th", "", t(`action_${action}`)), chips, addCell);
      return row;
    }),
  );
}

function drawAll() {
  words.translate();
  drawHeader();
  drawOffline();
  const onWindow = Boolean(page.window && page.view);
  $("chooser").hidden = onWindow || !page.day;
  $("console").hidden = !onWindow;
  $("keys").hidden = !onWindow;
  if (!onWindow) drawChooser();
  else {
    drawTicket();
    drawActions();
    drawSide();
    drawDialogs();
  }
  drawToday();
  drawKeys();
  document.body.dataset.window = page.window ? String(page.window) : "";
}

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

function toSignIn() {
  location.assign(signInAddress("/counter"));
}

// ---- start -----------------------------------------------------------------------------

async function start() {
  words.translate();
  page.keys = loadKeys(localStorage.getItem(KEYS_STORAGE));
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.addEventListener("click", () => {
      words.set(button.dataset.lang);
      drawAll();
    });
  }
  const session = await currentSession(new Api());
  if (!session) {
    toSignIn();
    return;
  }
  page.api = new Api({ csrf: session.csrf_token });
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
  $("sign-out").addEventListener("click", async () => {
    await page.api.request("DELETE", "/session");
    toSignIn();
  });
  drawAll();
}

start();
