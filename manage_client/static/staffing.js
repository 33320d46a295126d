// The staffing advice page (/manage/staffing, docs/staffing.md): per queue the windows
// needed now and in each of the hall's next hours against the windows on it, the target
// (the hall file's, or one typed in here), and the windows that could move where.
//
// The advice is a forecast, read from GET /api/v1/halls/{hall}/staffing. The page keeps
// a Socket.IO link to the hall with the manager's session (the screens' link.js) and asks
// again a moment after a burst of hall events (tickets issued, windows opened), debounced;
// and every few minutes, since the hour in progress moves on by the clock.
// Diagnostics for the browser tests: window.hallQueue.

import { Translator } from "/pages/static/i18n.js";
import { signInAddress } from "/pages/static/session.js";
import { startStaffPage } from "/pages/static/staff-page.js";
import { element } from "/screens/static/dom.js";
import { ScreenLink } from "/screens/static/link.js";
import { debounce, moveText, percent, readTarget, shortAfterMoves, standing } from "./staffing-view.js";
import { WORDS } from "./staffing-words.js";

const EVENTS_SETTLE_MS = 1500; // a burst of events (a rush at the desk) asks once
const CLOCK_REFRESH_MS = 5 * 60 * 1000; // the hour in progress moves on by the clock
const PAGE = "/manage/staffing";

const words = new Translator(WORDS, { storageKey: "hallQueue.manage.language" });
const t = (key, params) => words.t(key, params);
const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);

const page = { api: null, hall: null, advice: null, query: "", link: null, loading: false, again: false };
const diagnostics = { loaded: false, reads: 0, link: "connecting", lastQuery: "" };
globalThis.hallQueue = diagnostics;

function toSignIn() {
  location.assign(signInAddress(PAGE + location.search));
}

// ---- drawing -------------------------------------------------------------------------

function number(value, digits = 1) {
  return Number(value.toFixed(digits)).toLocaleString(words.current);
}

function drawTarget() {
  const advice = page.advice;
  if (!advice) return;
  $("target-now").textContent = t("target_now", {
    level: percent(advice.service_level),
    minutes: advice.target_minutes,
    hall_level: percent(advice.hall_target.service_level),
    hall_minutes: advice.hall_target.target_minutes,
  });
  const level = $("target-level");
  const minutes = $("target-minutes");
  if (document.activeElement !== level) level.value = percent(advice.service_level);
  if (document.activeElement !== minutes) minutes.value = String(advice.target_minutes);
}

function drawMoves() {
  const advice = page.advice;
  const list = $("moves");
  list.replaceChildren(
    ...advice.moves.map((move) => {
      const item = element("li", "move", moveText(move, t), "move");
      item.dataset.window = move.window;
      return item;
    }),
  );
  const short = shortAfterMoves(advice);
  $("moves-none").hidden = advice.moves.length > 0;
  $("moves-none").textContent = short.length ? t("moves_none_short") : t("moves_none");
  $("short-left").hidden = short.length === 0;
  $("short-left").textContent = t("short_left", {
    list: short.map((entry) => t("short_item", { queue: entry.queue.name, n: entry.short })).join("；"),
  });
}

function headCell(text, className) {
  const cell = element("th", className, text);
  cell.scope = "col";
  return cell;
}

function drawTable() {
  const advice = page.advice;
  const head = element("tr");
  head.append(
    headCell(t("col_queue"), "queue"),
    headCell(t("col_issued"), "num"),
    headCell(t("col_rate"), "num"),
    headCell(t("col_handling"), "num"),
    headCell(t("col_open"), "windows"),
    headCell(t("col_needed"), "num now"),
    headCell(t("col_difference"), "num"),
    ...advice.hours.map((hour) => headCell(t("col_hour", { hour }), "num hour")),
  );
  $("advice-head").replaceChildren(head);
  $("advice-body").replaceChildren(
    ...advice.queues.map((queue) => {
      const row = element("tr", "queue-row", undefined, "queue-row");
      row.dataset.queue = queue.code;
      const assigned = queue.windows_assigned.length;
      const state = standing(assigned, queue.windows_needed);
      row.dataset.state = state;
      const name = element("th", "queue", queue.name);
      name.scope = "row";
      const handling = element(
        "td",
        "num",
        t("minutes_n", { n: number(queue.average_handling_minutes) }) + (queue.handling_from_recent ? "" : t("configured")),
      );
      const difference =
        state === "short"
          ? t("short_n", { n: -queue.difference })
          : state === "spare"
            ? t("spare_n", { n: queue.difference })
            : t("even");
      row.append(
        name,
        element("td", "num", String(queue.issued), "issued"),
        element("td", "num", t("per_hour", { n: number(queue.expected_arrivals_per_hour) }), "rate"),
        handling,
        element("td", "windows", queue.windows_assigned.length ? queue.windows_assigned.join("、") : t("windows_none"), "assigned"),
        element("td", `num now ${state}`, String(queue.windows_needed), "needed"),
        element("td", `num difference ${state}`, difference, "difference"),
        ...queue.hours.map((entry) => {
          const cell = element("td", `num hour ${standing(assigned, entry.windows_needed)}`, String(entry.windows_needed), "hour-needed");
          cell.dataset.hour = entry.hour;
          cell.title = t("per_hour", { n: number(entry.arrivals_per_hour) });
          return cell;
        }),
      );
      return row;
    }),
  );
  $("explain").textContent = (advice.hours.length ? "" : `${t("closed_hours")}。`) + t("explain", { weeks: advice.history_weeks });
  const at = new Date(advice.now);
  const time = at.toLocaleTimeString(words.current, { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: advice.timezone });
  $("updated").textContent = t("updated", { time }); // the hall's clock, as its hours are
}

function drawLink() {
  const box = $("link-state");
  box.dataset.state = diagnostics.link;
  box.textContent = t(`link_${diagnostics.link}`);
}

function drawAll() {
  words.translate();
  drawLink();
  if (!page.advice) return;
  drawTarget();
  drawMoves();
  drawTable();
}

function sayTarget(key, detail = "") {
  const box = $("target-message");
  box.hidden = !key;
  box.textContent = key ? `${t(key)}${detail ? `：${detail}` : ""}` : "";
}

// ---- reading the advice -----------------------------------------------------------------

async function load() {
  if (page.loading) {
    page.again = true; // one more read once this one is back, with what changed meanwhile
    return;
  }
  page.loading = true;
  const query = page.query;
  const answer = await page.api.get(`/halls/${page.hall}/staffing${query ? `?${query}` : ""}`);
  page.loading = false;
  diagnostics.reads += 1;
  if (answer.ok) {
    page.advice = answer.data;
    diagnostics.lastQuery = query;
    $("loading").hidden = true;
    $("staffing-error").hidden = true;
    $("staffing-main").hidden = false;
    sayTarget(null);
    drawAll();
    diagnostics.loaded = true;
  } else if (answer.status === 401) {
    toSignIn();
    return;
  } else if (answer.status === 422 && query) {
    // the server refused the target typed in: say why and go back to the one shown
    page.query = diagnostics.lastQuery;
    sayTarget(answer.problem?.field === "service_level" ? "bad_level" : "bad_minutes", answer.problem?.detail ?? "");
  } else {
    const box = $("staffing-error");
    box.hidden = false;
    box.textContent = answer.network ? t("network") : t("load_failed", { detail: answer.problem?.detail ?? answer.status });
    $("loading").hidden = true;
  }
  if (page.again) {
    page.again = false;
    load();
  }
}

const loadSoon = debounce(load, EVENTS_SETTLE_MS);

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
        return false; // the page draws the advice, not the hall's state
      },
      subscribed() {
        loadSoon(); // (re)connected: whatever happened meanwhile is in the next read
      },
      event() {
        loadSoon();
      },
    },
    { hall: page.hall },
  );
}

// ---- start ---------------------------------------------------------------------------

function applyTarget(event) {
  event.preventDefault();
  const typed = readTarget($("target-level").value, $("target-minutes").value);
  if (!typed.ok) {
    sayTarget(typed.key);
    $(typed.field === "level" ? "target-level" : "target-minutes").focus();
    return;
  }
  page.query = typed.query;
  load();
}

async function start() {
  words.translate();
  drawLink();
  const started = await startStaffPage({
    onLanguage: (lang) => {
      words.set(lang);
      drawAll();
    },
    returnTo: PAGE + location.search,
  });
  if (!started) return;
  page.api = started.api;
  const halls = await page.api.get("/halls");
  const wanted = new URLSearchParams(location.search).get("hall");
  const listed = halls.ok ? halls.data.halls : [];
  const hall = wanted ? listed.find((entry) => entry.code === wanted) : listed[0];
  if (!hall) {
    $("loading").hidden = true;
    $("staffing-error").hidden = false;
    $("staffing-error").textContent = wanted ? t("unknown_hall", { hall: wanted }) : t("no_hall");
    return;
  }
  page.hall = hall.code;
  $("hall-name").textContent = hall.name;
  $("target-form").addEventListener("submit", applyTarget);
  $("target-reset").addEventListener("click", () => {
    page.query = "";
    sayTarget(null);
    load();
  });
  await load();
  connect();
  setInterval(load, CLOCK_REFRESH_MS);
}

start();
