// The printer's side of an issued ticket, as the page shows it. The print job's state
// comes from the server (`print_job_updated` events, issue 8's print jobs); until a page
// is given one, it shows nothing about the printer. Pure: state → what to say and how.
//
//   null / undefined  no print job known: nothing shown
//   "pending"         sent to the printer, not confirmed yet
//   "printed"         printed
//   "paper_out"       the printer is out of paper: the ticket is on the screen (and its QR code)
//   "offline"         the printer is off or unreachable: likewise
//   "failed"          the printer reported a fault: likewise

export const PRINT_STATES = ["pending", "printed", "paper_out", "offline", "failed"];

/** {show, tone ("info" | "ok" | "alert"), key (a message key), needsScreen (the citizen
 * must take the number from the screen)} for a print job's state. */
export function printView(state) {
  switch (state) {
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
