// Drawing the console from the page state (counter-page.js): the header and the offline
// bar, the window chooser, the ticket in hand, the buttons with their keys, the side
// lists, my day, the dialogs and the shortcut table. No requests here: a button calls
// back through `page.do`.

import { element } from "/screens/static/dom.js";
import { ACTIONS, shownKey, unassign } from "./counter-keys.js";
import { allowedActions } from "./counter-state.js";
import { $, WINDOW_STORAGE, diagnostics, durationText, page, t, words } from "./counter-page.js";

function actionLabel(action) {
  if (action === "pause" && page.view?.window?.status === "paused") return t("action_resume_window");
  return t(`action_${action}`);
}

function keysOf(action) {
  return (page.keys[action] ?? []).map((name) => shownKey(name, t("numpad")));
}

export function drawHeader() {
  $("hall-name").textContent = page.day?.hall?.name ?? "";
  const badge = $("window-badge");
  badge.hidden = !page.window;
  badge.textContent = page.view?.window?.name ?? (page.window ? `${page.window}` : "");
  badge.dataset.status = page.view?.window?.status ?? "";
  const state = diagnostics.link;
  $("link-state").dataset.state = state;
  $("link-state").textContent = t(state === "refused" ? "offline" : state);
}

export function drawOffline() {
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
      open.addEventListener("click", () => page.do.openWindow(w.number));
      row.append(head, state, tags, open);
      return row;
    }),
  );
}

export function drawTicket() {
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

export function drawActions() {
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

export function drawSide() {
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
    row.dataset.number = ticket.number;
    row.title = t("action_call_number");
    row.classList.add("pickable");
    row.addEventListener("click", () => page.do.callNumber(ticket.number)); // 指定叫号, prefilled
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
    resume.addEventListener("click", () => page.do.run("resume_ticket", { ticket_number: ticket.number }));
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

export function drawFinish() {
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
      row.addEventListener("click", () => page.do.pickItem(entry.code));
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

export function drawKeys() {
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
        remove.addEventListener("click", () => page.do.saveKeys(unassign(page.keys, action, name)));
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

export function drawAll() {
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
