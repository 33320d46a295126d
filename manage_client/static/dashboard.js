// The managers' live dashboard (/manage, docs/dashboard.md). The figures come from one read
// (GET /api/v1/halls/{hall}/dashboard, as of its `seq`) and then from the hall's events
// only, through the pure reducer in dashboard-figures.js: no polling. The link is the
// screens' (link.js: subscribe with the session cookie, events once and in order); on
// every (re)subscribe the page reads the figures afresh and applies what arrived meanwhile.
// The clock only ages what is drawn (the oldest waiting ticket, each window's state).

import { Translator } from "/pages/static/i18n.js";
import { signInAddress } from "/pages/static/session.js";
import { startStaffPage } from "/pages/static/staff-page.js";
import { element } from "/screens/static/dom.js";
import { ScreenLink } from "/screens/static/link.js";
import { ALERT_EVENTS, ALERT_WORDS, alertState, applyAlertEvent, describeAlert, openAlerts } from "./alerts.js";
import { HourChart } from "./dashboard-chart.js";
import { applyEvent, applyPresence, devicesByKind, figuresOf, HOURS, loadFigures, oldestWaitMs, waitingCount } from "./dashboard-figures.js";
import { DASHBOARD_WORDS } from "./dashboard-words.js";

const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);
const words = new Translator(DASHBOARD_WORDS, { storageKey: "hallQueue.staffLanguage" });
const t = (key, params) => words.t(key, params);
const DEVICE_KINDS = ["hall_screen", "window_screen", "kiosk", "printer", "review_pad"];

const page = {
  hall: null,
  api: null,
  link: null,
  state: null, // the reducer's state (dashboard-figures.js)
  loading: null, // a read in flight: events wait in `held` until it is in
  held: [],
  screens: [],
  chart: null,
  confirming: null, // {run, reason}
  alerts: [], // open alerts and today's cleared ones (alerts.js), kept from alert events
  alertsHeld: null, // alert events that came while the list was being read
};

// what the browser tests read
const diagnostics = {
  get loaded() {
    return page.state !== null && page.loading === null;
  },
  get seq() {
    return page.state?.seq ?? null;
  },
  figures() {
    return page.state ? figuresOf(page.state) : null;
  },
  alerts() {
    return page.alerts.map((alert) => ({ id: alert.id, kind: alert.kind, subject: alert.subject, state: alertState(alert) }));
  },
  link: "connecting",
  reads: 0,
  lastMessage: null,
};
window.hallQueue = diagnostics;

// ---- time and words ------------------------------------------------------------------

function now() {
  return page.link?.serverNow() ?? Date.now();
}

function duration(ms) {
  if (ms === null || ms === undefined) return t("none");
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return t("seconds", { s: seconds });
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return t("minutes", { m: minutes });
  return t("hours_minutes", { h: Math.floor(minutes / 60), m: minutes % 60 });
}

function clockText(text) {
  if (!text) return t("none");
  const zone = page.state?.hall.timezone;
  return new Intl.DateTimeFormat(words.current, { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(new Date(text));
}

function percent(numerator, denominator) {
  return denominator ? `${Math.round((numerator / denominator) * 1000) / 10}%` : t("none");
}

function say(title, detail = "", tone = "alert") {
  const box = $("message");
  box.hidden = !title;
  box.dataset.tone = tone;
  $("message-title").textContent = title ?? "";
  $("message-detail").textContent = detail ?? "";
  diagnostics.lastMessage = title ? { title, detail, tone } : null;
}

function sayProblem(answer) {
  const detail = answer.problem?.detail ?? answer.error ?? `HTTP ${answer.status}`;
  say(t("error_title"), detail, "alert");
}

// ---- drawing -------------------------------------------------------------------------

function drawQueues() {
  const grid = $("queues");
  grid.replaceChildren();
  for (const queue of page.state.queues) {
    const oldest = oldestWaitMs(page.state, queue.code, now());
    const threshold = queue.wait_threshold_minutes; // null: the hall file turned the alert off
    const over = oldest !== null && threshold !== null && oldest > threshold * 60000;
    const card = element("article", `queue-card${over ? " over" : ""}`, null, `queue-${queue.code}`);
    const head = element("header", "queue-head");
    head.append(element("span", "queue-prefix", queue.prefix), element("span", "queue-name", queue.name));
    const big = element("div", "queue-waiting");
    big.append(element("strong", null, String(waitingCount(page.state, queue.code)), "waiting"));
    big.append(element("small", null, t("waiting_now")));
    const facts = element("dl", "queue-facts");
    const oldestValue = element("dd", over ? "over" : null, duration(oldest), "oldest");
    if (over) oldestValue.title = t("over_threshold", { minutes: queue.wait_threshold_minutes });
    facts.append(element("dt", null, t("oldest_wait")), oldestValue);
    const average = queue.waits ? Math.round(queue.wait_total_ms / queue.waits) : null;
    facts.append(element("dt", null, t("average_wait")), element("dd", null, duration(average), "average"));
    facts.append(element("dt", null, t("longest_wait")), element("dd", null, duration(queue.waits ? queue.longest_wait_ms : null), "longest"));
    const issued = queue.issued_by_hour.reduce((a, b) => a + b, 0);
    const served = queue.served_by_hour.reduce((a, b) => a + b, 0);
    facts.append(element("dt", null, t("issued_served")), element("dd", null, `${issued} / ${served}`, "issued-served"));
    card.append(head, big, facts);
    grid.append(card);
  }
}

function drawChart() {
  const select = $("chart-queue");
  const wanted = select.value || "*";
  const options = [["*", t("chart_all")], ...page.state.queues.map((queue) => [queue.code, queue.name])];
  if (select.options.length !== options.length || select.dataset.lang !== words.current) {
    select.replaceChildren(...options.map(([value, label]) => Object.assign(element("option", null, label), { value })));
    select.dataset.lang = words.current;
    select.value = options.some(([value]) => value === wanted) ? wanted : "*";
  }
  const chosen = page.state.queues.filter((queue) => select.value === "*" || queue.code === select.value);
  const issued = Array.from({ length: HOURS }, (_, hour) => chosen.reduce((sum, queue) => sum + queue.issued_by_hour[hour], 0));
  const served = Array.from({ length: HOURS }, (_, hour) => chosen.reduce((sum, queue) => sum + queue.served_by_hour[hour], 0));
  page.chart ??= new HourChart($("chart"));
  page.chart.draw(issued, served, [t("chart_issued"), t("chart_served")]);
  $("chart").dataset.issued = issued.join(",");
  $("chart").dataset.served = served.join(",");
}

function drawWindows() {
  const grid = $("windows");
  grid.replaceChildren();
  for (const window of page.state.windows) {
    const tile = element("article", `window-tile state-${window.state}`, null, `window-${window.number}`);
    tile.dataset.state = window.state;
    const head = element("header", "window-head");
    head.append(element("span", "window-name", window.name), element("span", "window-state", t(`state_${window.state}`), "state"));
    const ticket = element("strong", "window-ticket", window.ticket ?? t("none"), "ticket");
    const since = element("span", "window-since", window.since ? duration(now() - Date.parse(window.since)) : "", "since");
    const clerk = window.clerk ? `${window.clerk}${window.clerk_number ? `（${window.clerk_number}）` : ""}` : t("none");
    const foot = element("footer", "window-foot");
    foot.append(element("span", "window-clerk", clerk, "clerk"));
    if (window.status !== "closed") {
      const release = element("button", "quiet", t("release"), "release");
      release.type = "button";
      release.addEventListener("click", () => askRelease(window));
      foot.append(release);
    }
    const middle = element("div", "window-middle");
    middle.append(ticket, since);
    tile.append(head, middle, foot);
    grid.append(tile);
  }
}

function drawDevices() {
  const list = $("devices");
  list.replaceChildren();
  const kinds = devicesByKind(page.state);
  for (const kind of DEVICE_KINDS) {
    const counts = kinds[kind] ?? { online: 0, offline: 0 };
    const item = element("li", `device-kind${counts.offline ? " some-offline" : ""}`, null, `devices-${kind}`);
    item.append(element("span", "device-label", t(`kind_${kind}`)));
    item.append(element("strong", "device-online", `${counts.online} ${t("online")}`, "online"));
    item.append(element("span", counts.offline ? "device-offline" : "device-none", `${counts.offline} ${t("offline")}`, "offline"));
    const missing = page.state.devices.filter((device) => device.kind === kind && !device.online);
    if (missing.length) {
      const names = element("ul", "device-missing");
      for (const device of missing) {
        const seen = device.last_seen ? t("last_seen", { time: clockText(device.last_seen) }) : t("never_seen");
        names.append(element("li", null, `${device.name} · ${seen}`));
      }
      item.append(names);
    }
    list.append(item);
  }
}

function drawRatings() {
  const figures = page.state.ratings;
  const box = $("ratings");
  box.replaceChildren();
  for (const [key, numerator, denominator, tone] of [
    ["good_rate", figures.good, figures.rated, "good"],
    ["bad_rate", figures.bad, figures.rated, "bad"],
    ["unrated_rate", figures.finished - figures.citizen_rated, figures.finished, "plain"],
  ]) {
    const figure = element("div", `rating-figure ${tone}`, null, key);
    figure.append(element("strong", null, percent(numerator, denominator)), element("small", null, t(key)));
    box.append(figure);
  }
  box.append(element("p", "hint", t("finished_rated", { finished: figures.finished, rated: figures.rated }), "rating-counts"));
  const cases = $("cases");
  cases.replaceChildren();
  if (!page.state.cases.length) cases.append(element("li", "hint", t("cases_none")));
  for (const brief of page.state.cases) {
    const item = element("li", brief.overdue ? "overdue" : null, t("case_line", { number: brief.ticket_number, window: brief.window ?? "—", state: brief.state }), `case-${brief.id}`);
    if (brief.overdue) item.append(element("span", "badge", t("case_overdue")));
    cases.append(item);
  }
}

function drawHeader() {
  $("hall-name").textContent = page.state?.hall.name ?? "";
  $("link-state").dataset.state = diagnostics.link;
  $("link-state").textContent = t(`link_${diagnostics.link}`);
  $("clock").textContent = page.state ? clockText(new Date(now()).toISOString()) : "";
}

function drawAll() {
  words.translate();
  drawHeader();
  if (!page.state) return;
  $("loading").hidden = true;
  $("dash").hidden = false;
  drawQueues();
  drawWindows();
  drawDevices();
  drawRatings();
  drawChart();
  drawAlerts();
  const notice = $("notice-input");
  if (document.activeElement !== notice && !notice.dataset.edited) notice.value = page.state.notice ?? "";
}

// ---- alerts (alerts.js: the list kept from alert events, worded per language) ------------

function alertNames() {
  const state = page.state;
  return {
    queues: Object.fromEntries(state.queues.map((queue) => [queue.code, queue.name])),
    windows: Object.fromEntries(state.windows.map((window) => [String(window.number), window.name])),
    devices: Object.fromEntries(state.devices.map((device) => [String(device.id), device.name])),
  };
}

function drawAlerts() {
  const list = $("alerts");
  list.replaceChildren();
  const alertWords = ALERT_WORDS[words.current] ?? ALERT_WORDS["zh-CN"];
  const names = alertNames();
  const shown = [...openAlerts(page.alerts), ...page.alerts.filter((alert) => alertState(alert) === "cleared")];
  $("alerts-none").hidden = openAlerts(page.alerts).length > 0;
  for (const alert of shown) {
    const told = describeAlert(alert, alertWords, names);
    const item = element("li", `alert-item ${told.state}`, null, `alert-${alert.id}`);
    item.dataset.state = told.state;
    const head = element("div", "alert-head");
    head.append(element("strong", "alert-title", told.title), element("span", "alert-time", clockText(alert.raised_at)));
    item.append(head, element("p", "alert-text", told.text, "alert-text"));
    const foot = element("div", "alert-foot");
    const when = alert.acknowledged_at ? ` ${clockText(alert.acknowledged_at)}` : "";
    foot.append(element("span", "alert-state", `${told.stateText}${when}`, "alert-state"));
    if (told.state === "open") {
      const button = element("button", "primary", t("acknowledge"), "acknowledge");
      button.type = "button";
      button.addEventListener("click", () => acknowledge(alert));
      foot.append(button);
    }
    item.append(foot);
    list.append(item);
  }
}

// The alerts are read with the figures; their events after that keep the list.
async function readAlerts() {
  page.alertsHeld = [];
  const answer = await page.api.get(`/halls/${encodeURIComponent(page.hall)}/alerts`);
  const held = page.alertsHeld;
  page.alertsHeld = null;
  if (!answer.ok) return;
  let alerts = [];
  for (const alert of answer.data.alerts) alerts = applyAlertEvent(alerts, { type: "alert_raised", alert });
  for (const event of held) alerts = applyAlertEvent(alerts, event);
  page.alerts = alerts;
  if (page.state) drawAlerts();
}

async function acknowledge(alert) {
  const answer = await page.api.post(`/halls/${page.hall}/alerts/${alert.id}/acknowledge`, {});
  if (!answer.ok) {
    sayProblem(answer);
    return;
  }
  page.alerts = applyAlertEvent(page.alerts, { type: "alert_acknowledged", alert: answer.data.alert ?? answer.data });
  drawAlerts();
}

// ---- the figures: one read, then events --------------------------------------------------

async function readFigures() {
  const reading = {};
  page.loading = reading;
  page.held = [];
  diagnostics.reads += 1;
  readAlerts();
  const answer = await page.api.get(`/halls/${encodeURIComponent(page.hall)}/dashboard`);
  if (page.loading !== reading) return; // a later read took over
  if (!answer.ok) {
    page.loading = null;
    if (answer.status === 401) location.assign(signInAddress("/manage"));
    $("loading").hidden = true;
    $("dashboard-error").hidden = false;
    $("dashboard-error").textContent = answer.problem?.detail ?? t("error_title");
    return;
  }
  const state = loadFigures(answer.data);
  let reload = false;
  for (const event of page.held) reload = applyEvent(state, event).reload || reload;
  page.state = state;
  page.loading = null;
  page.held = [];
  drawAll();
  if (reload) readFigures();
}

function onEvent(event) {
  if (ALERT_EVENTS.includes(event.type)) {
    if (page.alertsHeld !== null) page.alertsHeld.push(event);
    else {
      page.alerts = applyAlertEvent(page.alerts, event);
      if (page.state) drawAlerts();
    }
  }
  if (page.loading !== null || page.state === null) {
    page.held.push(event);
    return;
  }
  const { applied, reload } = applyEvent(page.state, event);
  if (reload) readFigures();
  else if (applied) drawAll();
}

function connect() {
  page.link = new ScreenLink(
    null,
    {
      state(state) {
        diagnostics.link = state;
        if (state === "refused") location.assign(signInAddress("/manage"));
        drawHeader();
      },
      needsSnapshot() {
        // once figures are drawn a reconnect catches up by `since` (no hall snapshot):
        // the figures are read afresh below all the same, and the missed events held
        return page.state === null;
      },
      subscribed() {
        readFigures();
      },
      event: onEvent,
    },
    { hall: page.hall },
  );
  page.link.socket.on("device_presence", (payload) => {
    if (page.state && payload?.hall === page.hall && applyPresence(page.state, payload)) drawDevices();
  });
}

// ---- manager actions ------------------------------------------------------------------

function ask(text, run, { reason = false } = {}) {
  page.confirming = { run, reason };
  $("confirm-text").textContent = text;
  $("confirm-reason-field").hidden = !reason;
  $("confirm-reason").value = "";
  $("confirm").hidden = false;
  (reason ? $("confirm-reason") : $("confirm-yes")).focus();
}

function closeConfirm() {
  page.confirming = null;
  $("confirm").hidden = true;
}

async function confirmed() {
  const confirming = page.confirming;
  if (!confirming) return;
  const reason = $("confirm-reason").value.trim();
  closeConfirm();
  await confirming.run(reason);
}

async function act(request, done) {
  const answer = await request();
  if (answer.ok) say(done, "", "ok");
  else sayProblem(answer);
  return answer;
}

function askRelease(window) {
  ask(
    t("confirm_release", { window: window.name }),
    (reason) =>
      act(
        () => page.api.post(`/halls/${page.hall}/windows/${window.number}/release-window`, { reason: reason || null }),
        t("done_release", { window: window.name }),
      ),
    { reason: true },
  );
}

async function askCancel() {
  const number = $("cancel-number").value.trim().toUpperCase();
  if (!number) {
    say(t("error_title"), t("need_number"));
    return;
  }
  const found = await page.api.get(`/halls/${page.hall}/tickets?number=${encodeURIComponent(number)}`);
  if (!found.ok) {
    sayProblem(found);
    return;
  }
  const ticket = (found.data.tickets ?? []).find((candidate) => candidate.number === number);
  if (!ticket) {
    say(t("error_title"), t("no_such_ticket", { number }));
    return;
  }
  const reason = $("cancel-reason").value.trim() || null;
  ask(t("confirm_cancel", { number }), async () => {
    const answer = await act(() => page.api.post(`/halls/${page.hall}/tickets/${ticket.id}/cancel`, { reason }), t("done_cancel", { number }));
    if (answer.ok) $("cancel-number").value = "";
  });
}

function askNotice() {
  const notice = $("notice-input").value;
  ask(t("confirm_notice", { notice: notice.trim() || t("none") }), async () => {
    const answer = await act(() => page.api.request("PUT", `/halls/${page.hall}/notice`, { body: { notice } }), t("done_notice"));
    if (answer.ok) delete $("notice-input").dataset.edited;
  });
}

async function loadScreens() {
  const answer = await page.api.get(`/halls/${page.hall}/screens`);
  if (!answer.ok) return;
  page.screens = answer.data.screens;
  const select = $("screen-select");
  select.replaceChildren(...page.screens.map((screen) => Object.assign(element("option", null, screen.name), { value: String(screen.device_id) })));
  showScreen();
}

function chosenScreen() {
  return page.screens.find((screen) => String(screen.device_id) === $("screen-select").value) ?? null;
}

function showScreen() {
  const screen = chosenScreen();
  if (!screen) return;
  $("screen-rows").value = String(screen.settings.rows);
  $("screen-language").value = screen.settings.language;
  $("screen-voice").checked = Boolean(screen.settings.voice?.enabled);
}

function askScreen() {
  const screen = chosenScreen();
  if (!screen) return;
  const rows = Number($("screen-rows").value);
  const changes = {
    rows: Number.isInteger(rows) && $("screen-rows").value !== "" ? rows : $("screen-rows").value,
    language: $("screen-language").value,
    voice: { enabled: $("screen-voice").checked },
  };
  ask(t("confirm_screen", { name: screen.name }), async () => {
    const answer = await act(
      () => page.api.request("PUT", `/halls/${page.hall}/screens/${screen.device_id}`, { body: changes }),
      t("done_screen"),
    );
    if (answer.ok) {
      Object.assign(screen, answer.data);
      showScreen();
    }
  });
}

// ---- start ---------------------------------------------------------------------------

async function start() {
  words.translate();
  const started = await startStaffPage({
    onLanguage: (lang) => {
      words.set(lang);
      drawAll();
    },
    returnTo: "/manage",
  });
  if (!started) return;
  page.api = started.api;
  $("message-close").addEventListener("click", () => say(null));
  $("confirm-yes").addEventListener("click", confirmed);
  $("confirm-no").addEventListener("click", closeConfirm);
  $("confirm").addEventListener("keydown", (event) => {
    if (event.key === "Escape") closeConfirm();
    if (event.key === "Enter") confirmed();
  });
  $("notice-save").addEventListener("click", askNotice);
  $("notice-input").addEventListener("input", () => ($("notice-input").dataset.edited = "1"));
  $("cancel-go").addEventListener("click", askCancel);
  $("screen-select").addEventListener("change", showScreen);
  $("screen-save").addEventListener("click", askScreen);
  $("chart-queue").addEventListener("change", drawChart);
  const halls = await page.api.get("/halls");
  const wanted = new URLSearchParams(location.search).get("hall");
  const listed = halls.ok ? halls.data.halls : [];
  page.hall = (wanted ? listed.find((hall) => hall.code === wanted) : listed[0])?.code ?? null;
  if (!page.hall) {
    $("loading").hidden = true;
    $("dashboard-error").hidden = false;
    $("dashboard-error").textContent = halls.problem?.detail ?? t("error_title");
    return;
  }
  connect();
  loadScreens();
  // the clock ages what is drawn: the oldest waiting tickets, how long each window is as it is
  setInterval(() => {
    if (!page.state) return;
    drawHeader();
    drawQueues();
    drawWindows();
  }, 1000);
  window.addEventListener("resize", () => page.state && drawChart());
}

start();
