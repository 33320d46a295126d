// The printer's side of an issued ticket, as the page shows it. Pure.
//
// A print job (docs/printing.md) comes in the answer (`print_job`, null when no
// printer serves the station) and then in `print_job_updated` events. An update may
// arrive before the answer that carries the same job in an older state, so a page keeps,
// for each job, the view with the highest `revision` (`PrintJobs`).
//
// The job's state as the page says it (`printStateOf`):
//   "none"       no print job: no station, or no printer there (无打印机)
//   "pending"    queued or sent, not confirmed yet
//   "printed"    printed
//   "paper_out"  out of paper: the ticket is on the screen (and its QR code)
//   "offline"    the printer is off or unreachable: likewise
//   "failed"     the printer reported a fault: likewise
//   "expired"    too old to print (PRINT_JOB_MAX_AGE): likewise
//   "cancelled"  the ticket was over before it printed

export const PRINT_STATES = ["none", "pending", "printed", "paper_out", "offline", "failed", "expired", "cancelled"];

/** The page's print state for a job (null: no printer), or null when nothing is known. */
export function printStateOf(job, known = true) {
  if (!known) return null;
  if (job === null || job === undefined) return "none";
  if (job.state === "queued" || job.state === "sent") return "pending";
  return PRINT_STATES.includes(job.state) ? job.state : "pending";
}

/** {show, tone ("info" | "ok" | "alert"), key (a message key), needsScreen (the citizen
 * must take the number from the screen)} for a print state. */
export function printView(state) {
  switch (state) {
    case "none":
      return { show: true, tone: "info", key: "print_none", needsScreen: true };
    case "pending":
      return { show: true, tone: "info", key: "print_pending", needsScreen: false };
    case "printed":
      return { show: true, tone: "ok", key: "print_printed", needsScreen: false };
    case "paper_out":
      return { show: true, tone: "alert", key: "print_paper_out", needsScreen: true };
    case "offline":
      return { show: true, tone: "alert", key: "print_offline", needsScreen: true };
    case "failed":
      return { show: true, tone: "alert", key: "print_failed", needsScreen: true };
    case "expired":
      return { show: true, tone: "alert", key: "print_expired", needsScreen: true };
    case "cancelled":
      return { show: true, tone: "info", key: "print_cancelled", needsScreen: false };
    default:
      return { show: false, tone: "info", key: null, needsScreen: false };
  }
}

/** Draw `state` into `element` (data-state, data-tone, the translated message). */
export function drawPrintState(element, state, t) {
  const view = printView(state);
  element.hidden = !view.show;
  element.dataset.state = state ?? "";
  element.dataset.tone = view.tone;
  element.textContent = view.key ? t(view.key) : "";
  return view;
}

/**
 * The newest view of each print job a page has seen, by `revision`. Bounded: a desk
 * sees every job of the hall all day, and only keeps the latest `limit`.
 */
export class PrintJobs {
  constructor(limit = 200) {
    this.limit = limit;
    this.jobs = new Map();
  }

  /** Keep `job` if it is newer than the view held; true when it changed what is held. */
  offer(job) {
    if (!job || typeof job.id !== "number") return false;
    const held = this.jobs.get(job.id);
    if (held && !((job.revision ?? 0) > (held.revision ?? 0))) return false;
    this.jobs.delete(job.id); // re-inserted last: the oldest is dropped first
    this.jobs.set(job.id, job);
    while (this.jobs.size > this.limit) this.jobs.delete(this.jobs.keys().next().value);
    return true;
  }

  get(id) {
    return id === null || id === undefined ? null : (this.jobs.get(id) ?? null);
  }
}
