// The reports page (/manage/reports, docs/reports.md): a hall, a report and a day or a
// month → the table from GET /api/v1/halls/{hall}/reports/{kind}, its CSV link, and a
// print button (reports.css lays the table out on A4). The choice is kept in the address
// (?hall=&kind=&day= or &month=), so a reload or a bookmark shows the same report.

import { signInAddress } from "/pages/static/session.js";
import { startStaffPage } from "/pages/static/staff-page.js";
import { Translator } from "/pages/static/i18n.js";
import { element } from "/screens/static/dom.js";
import { KINDS, WORDS } from "./reports-words.js";

const translator = new Translator(WORDS, { storageKey: "hall-queue.reports.language" });
const t = (key, params) => translator.t(key, params);
const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);
const state = { api: null, report: null, halls: [] };

const pad = (n) => String(n).padStart(2, "0");
const localDay = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
const localMinute = (d) => `${localDay(d)} ${pad(d.getHours())}:${pad(d.getMinutes())}`;

/** A column's header in the chosen language; the server's Chinese one if none is known. */
export function header(kind, column) {
  const words = WORDS[translator.current] ?? WORDS["zh-CN"];
  const specific = column.key === "key" || column.key === "name" ? words[`${column.key}_${kind.replace("-", "_")}`] : null;
  return specific ?? words[`col_${column.key}`] ?? WORDS["zh-CN"][`col_${column.key}`] ?? column.label;
}

/** A cell as shown: rates as percentages, nothing measured as a dash. */
export function cell(key, value) {
  if (value === null || value === undefined || value === "") return "—";
  if (key.endsWith("_rate") && typeof value === "number") return `${(value * 100).toFixed(1)}%`;
  return String(value);
}

function query() {
  const form = $("report-form");
  const unit = form.elements.unit.value;
  const period = unit === "day" ? { day: form.elements.day.value } : { month: form.elements.month.value };
  return { hall: form.elements.hall.value, kind: form.elements.kind.value, unit, ...period };
}

function reportPath({ hall, kind, unit, day, month }) {
  const period = unit === "day" ? `day=${encodeURIComponent(day)}` : `month=${encodeURIComponent(month)}`;
  return `/halls/${encodeURIComponent(hall)}/reports/${encodeURIComponent(kind)}?${period}`;
}

function say(text) {
  const box = $("message");
  box.textContent = text ?? "";
  box.hidden = !text;
}

function drawUnit() {
  const form = $("report-form");
  const byDay = form.elements.unit.value === "day";
  form.elements.day.hidden = !byDay;
  form.elements.day.required = byDay;
  form.elements.month.hidden = byDay;
  form.elements.month.required = !byDay;
}

function drawKinds() {
  const select = $("kind");
  const chosen = select.value;
  select.replaceChildren(...KINDS.map((kind) => new Option(t(`kind_${kind.replace("-", "_")}`), kind)));
  if (chosen) select.value = chosen;
}

function drawReport() {
  const report = state.report;
  if (!report) return;
  $("report").hidden = false;
  $("report-title").textContent = `${report.hall_name} · ${t(`kind_${report.kind.replace("-", "_")}`)}`;
  $("report-hall").textContent = report.hall_name;
  $("report-period").textContent =
    report.period.unit === "day" ? report.period.from : `${report.period.label}（${report.period.from} ~ ${report.period.to}）`;
  $("report-printed-at").textContent = localMinute(new Date());
  const table = $("report-table");
  const heads = report.columns.map((column) => {
    const th = element("th", null, header(report.kind, column));
    th.scope = "col";
    th.dataset.key = column.key;
    return th;
  });
  table.tHead.replaceChildren(element("tr"));
  table.tHead.rows[0].replaceChildren(...heads);
  const body = table.tBodies[0];
  body.replaceChildren(
    ...report.rows.map((row) => {
      const tr = element("tr", null, null, "report-row");
      for (const column of report.columns) {
        const td = element("td", typeof row[column.key] === "number" ? "number" : null, cell(column.key, row[column.key]));
        td.dataset.key = column.key;
        tr.append(td);
      }
      return tr;
    }),
  );
  $("report-empty").hidden = report.rows.length > 0;
}

async function show(event) {
  event?.preventDefault();
  const chosen = query();
  const path = reportPath(chosen);
  say(t("loading"));
  const answer = await state.api.get(path);
  if (!answer.ok) {
    if (answer.status === 401) {
      location.assign(signInAddress(location.pathname + location.search));
      return;
    }
    say(answer.network ? t("network") : t("failed", { detail: answer.problem?.detail ?? answer.status }));
    return;
  }
  say(null);
  state.report = answer.data;
  const csv = $("csv");
  csv.href = `/api/v1${path}&format=csv`;
  csv.hidden = false;
  $("print").hidden = false;
  const { hall, kind, unit, day, month } = chosen;
  const address = new URLSearchParams({ hall, kind, ...(unit === "day" ? { day } : { month }) });
  history.replaceState(null, "", `${location.pathname}?${address}`);
  drawReport();
}

function translate() {
  translator.translate();
  drawKinds();
  drawReport();
}

async function start() {
  translate();
  const started = await startStaffPage({
    onLanguage: (lang) => {
      translator.set(lang);
      translate();
    },
  });
  if (!started) return;
  state.api = started.api;
  const halls = await state.api.get("/halls");
  state.halls = halls.ok ? halls.data.halls : [];
  $("hall").replaceChildren(...state.halls.map((hall) => new Option(`${hall.name}（${hall.code}）`, hall.code)));
  const asked = new URLSearchParams(location.search);
  const form = $("report-form");
  const today = new Date();
  form.elements.day.value = asked.get("day") ?? localDay(today);
  form.elements.month.value = asked.get("month") ?? localDay(today).slice(0, 7);
  if (asked.get("hall")) form.elements.hall.value = asked.get("hall");
  if (KINDS.includes(asked.get("kind"))) form.elements.kind.value = asked.get("kind");
  if (asked.has("month") && !asked.has("day")) form.elements.unit.value = "month";
  drawUnit();
  for (const radio of form.querySelectorAll('input[name="unit"]')) radio.addEventListener("change", drawUnit);
  form.addEventListener("submit", show);
  $("print").addEventListener("click", () => window.print());
  if (asked.has("day") || asked.has("month")) await show();
  document.body.dataset.ready = "true";
}

start();
