// The ticket shown at the desk (just issued, checked in, or found): its figures, its
// printed preview, its print job's state live, and printing it again.

import { drawPrintState } from "./printing.js";
import { problemKey } from "./problems.js";
import { $, diagnostics, drawAll, page, say, t, toSignIn } from "./desk-page.js";

export function drawTicket() {
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

/** Show `ticket` in the issued panel, with its print job when known (null: none). */
export function showTicket(ticket, source, job = undefined) {
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
export async function loadPrintJob(ticketId) {
  const answer = await page.api.get(`/halls/${page.hall}/print-jobs?ticket=${ticketId}&limit=1`);
  if (!answer.ok || page.ticket?.id !== ticketId) return;
  const [job] = answer.data.print_jobs;
  if (job) page.jobs.offer(job);
  if (page.jobId === undefined || job) page.jobId = job?.id ?? null;
  drawTicket();
}

export function jobUpdated(payload) {
  const job = payload?.job;
  if (!job || (payload.hall && payload.hall !== page.hall)) return;
  if (page.jobs.offer(job) && job.id === page.jobId) drawTicket();
  if (page.ticket && job.ticket_id === page.ticket.id && page.jobId === undefined) {
    page.jobId = job.id;
    drawTicket();
  }
}

export async function reprint() {
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
