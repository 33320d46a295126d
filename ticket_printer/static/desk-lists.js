// The desk's side panel: today's waiting list, finding a ticket by number or ID number,
// and the day's appointments with checking one in. A ticket picked here is shown as the
// desk's ticket (desk-ticket.js).

import { element } from "/screens/static/dom.js";
import { clockTime, parseFind, parseReference } from "./finder.js";
import { problemKey } from "./problems.js";
import { $, figures, page, queueOf, say, t, toSignIn, words } from "./desk-page.js";
import { showTicket } from "./desk-ticket.js";

const LIST_REFRESH_MS = 400; // hall events come in bursts: one reload of the lists after them
const WAITING_PAGE = 20;

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

export function drawSide() {
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

export async function checkIn() {
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

export async function loadAppointments() {
  const answer = await page.api.get(`/halls/${page.hall}/appointments`);
  if (!answer.ok) return;
  page.appointments = answer.data.appointments;
  drawSide();
}

export async function loadWaiting({ more = false } = {}) {
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
export function listsChanged() {
  clearTimeout(page.listTimer);
  page.listTimer = setTimeout(() => {
    if (page.tab === "waiting") loadWaiting();
    if (page.tab === "appointments") loadAppointments();
  }, LIST_REFRESH_MS);
}

export function showTab(tab) {
  page.tab = tab;
  if (tab === "waiting") loadWaiting();
  if (tab === "appointments") loadAppointments();
  drawSide();
}

export async function find() {
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
