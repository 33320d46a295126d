// The hall screen (综合屏): the latest call of each window of its zone, the waiting
// count per queue, the hall's name, date and time, and the scrolling notice.

import { element } from "./dom.js";
import { language, t } from "./i18n.js";
import { $, FRESH_MS, startScreen } from "./screen.js";

const freshUntil = new Map(); // call key -> time its highlight ends
const rowElements = new Map(); // call key -> <li>, kept so a highlight is not restarted
let expiryTimer = null;
let lastNotice = null;

function key(call) {
  return `${call.window}:${call.seq ?? call.at}`;
}

function callRow(call) {
  const row = element("li", "call", undefined, "call-row");
  row.dataset.number = call.number;
  row.dataset.window = String(call.window);
  if (call.seq !== null) row.dataset.seq = String(call.seq);
  row.append(
    element("span", "call-number", call.number, "call-number"),
    element("span", "call-window", t("window_n", { n: call.window }), "call-window"),
  );
  return row;
}

function columnsFor(rows) {
  const portrait = window.matchMedia("(orientation: portrait)").matches;
  if (rows <= (portrait ? 6 : 4)) return 1;
  if (rows <= 12) return 2;
  return 3;
}

function renderCalls(model, settings) {
  const list = $("calls");
  const rows = settings.rows;
  const calls = model.latestCalls(settings.zone, rows);
  const columns = columnsFor(rows);
  list.style.setProperty("--call-columns", String(columns));
  list.style.setProperty("--call-rows", String(Math.ceil(rows / columns)));

  const wanted = calls.map((call) => {
    const id = key(call);
    let row = rowElements.get(id);
    if (!row || row.dataset.lang !== language()) {
      row = callRow(call);
      row.dataset.lang = language();
      rowElements.set(id, row);
    }
    row.classList.toggle("fresh", (freshUntil.get(id) ?? 0) > Date.now());
    return row;
  });
  for (let i = wanted.length; i < rows; i += 1) wanted.push(element("li", "call empty"));
  // Move only what must move: re-inserting a row would restart its highlight.
  wanted.forEach((row, index) => {
    if (list.children[index] !== row) list.insertBefore(row, list.children[index] ?? null);
  });
  while (list.children.length > wanted.length) list.lastElementChild.remove();
  const kept = new Set(calls.map(key));
  for (const id of rowElements.keys()) if (!kept.has(id)) rowElements.delete(id);
}

function renderLatest(model, settings) {
  const [latest] = model.latestCalls(settings.zone, 1);
  const banner = $("latest-call");
  banner.classList.toggle("empty", !latest);
  if (!latest) {
    $("latest-number").textContent = t("no_calls");
    $("latest-window").textContent = "";
    $("latest-text").textContent = "";
    banner.classList.remove("fresh");
    return;
  }
  $("latest-number").textContent = latest.number;
  $("latest-window").textContent = t("window_n", { n: latest.window });
  $("latest-text").textContent = latest.texts?.[language()] ?? latest.texts?.["zh-CN"] ?? "";
  banner.dataset.seq = latest.seq === null ? "" : String(latest.seq);
  banner.classList.toggle("recall", Boolean(latest.recall));
  const fresh = (freshUntil.get(key(latest)) ?? 0) > Date.now();
  if (fresh && !banner.classList.contains("fresh")) {
    banner.classList.add("fresh");
  } else if (!fresh) {
    banner.classList.remove("fresh");
  }
}

function renderWaiting(model, settings) {
  const list = $("waiting");
  const queues = model.queuesIn(settings.zone);
  list.style.setProperty("--queue-count", String(Math.max(queues.length, 1)));
  list.replaceChildren(
    ...queues.map((queue) => {
      const item = element("li", "queue", undefined, "queue-row");
      item.dataset.queue = queue.code;
      item.append(
        element("span", "queue-prefix", queue.prefix),
        element("span", "queue-name", queue.name, "queue-name"),
        element("span", "queue-count", t("people", { n: queue.waiting }), "queue-count"),
      );
      item.classList.toggle("none-waiting", queue.waiting === 0);
      return item;
    }),
  );
}

function renderNotice(model, settings) {
  const notice = settings.notice ?? model.hall.notice ?? "";
  const container = $("notice");
  container.hidden = !notice;
  if (notice === lastNotice) return;
  lastNotice = notice;
  const ticker = $("notice-text");
  ticker.textContent = notice;
  // a steady reading speed whatever the length: about four characters a second
  ticker.style.setProperty("--scroll-seconds", `${Math.max(20, Math.round(notice.length / 4 + 12))}s`);
  ticker.style.animation = "none";
  void ticker.offsetWidth; // restart the scroll from the right edge
  ticker.style.animation = "";
}

const view = {
  render({ model, settings }) {
    if (!model.loaded || !settings) {
      for (const id of ["calls", "waiting"]) $(id).replaceChildren();
      rowElements.clear();
      for (const id of ["hall-name", "zone-name", "latest-number", "latest-window", "latest-text", "notice-text"]) {
        $(id).textContent = "";
      }
      lastNotice = null;
      return;
    }
    document.title = `${model.hall.name} · ${t("title_hall")}`;
    $("hall-name").textContent = model.hall.name;
    $("zone-name").textContent = settings.zone ? model.zoneName(settings.zone) : "";
    $("zone-name").hidden = !settings.zone;
    renderLatest(model, settings);
    renderCalls(model, settings);
    renderWaiting(model, settings);
    renderNotice(model, settings);
  },

  /** A call arrived: highlight it. Returns whether this screen shows it (its zone). */
  called(context, call) {
    const { model, settings } = context;
    const shown = model.latestCalls(settings.zone, settings.rows).some((c) => key(c) === key(call));
    if (!shown) return false;
    freshUntil.set(key(call), Date.now() + FRESH_MS);
    const banner = $("latest-call");
    banner.classList.remove("fresh");
    void banner.offsetWidth; // restart the flash for a call that follows a call
    view.render(context);
    clearTimeout(expiryTimer);
    expiryTimer = setTimeout(() => {
      for (const [id, until] of freshUntil) if (until <= Date.now()) freshUntil.delete(id);
      view.render(context);
    }, FRESH_MS + 50);
    return true;
  },
};

startScreen("hall_screen", view);
