// The desk's keyboard, as a state machine: what each key does in each state. Pure; the
// page feeds it keys and what happened (a ticket issued, a refusal) and does the action
// it returns. The usual ticket takes three keystrokes: type `bdc`, Enter picks the first
// match, Enter issues.
//
//   search     typing filters · ↑ ↓ move · Enter picks the highlighted match · Esc clears
//   confirm    Enter issues · Esc back to the search · typing searches again
//   issuing    every key waits: a second Enter never issues a second ticket
//   issued     typing starts the next search · Esc clears · Alt+C cancels this ticket ·
//              Alt+P prints it again (a found or checked-in ticket is shown here too)
//   cancelling Enter cancels it (with the reason typed) · Esc keeps it
//
// In search and confirm: Alt+1 … Alt+4 set a priority class (绿色通道), Alt+0 clears it,
// Alt+I goes to the ID number. Anywhere but while issuing: F2 goes to the appointment
// check-in field (type or scan the booking reference, Enter checks it in), F3 to the box
// that finds a ticket by number or ID number (Enter finds).

export const STATES = ["search", "confirm", "issuing", "issued", "cancelling"];

/** The key's name as the page hands it over: "Enter", "Escape", "ArrowUp", "Alt+1", "Alt+I" … */
export function keyName(event) {
  const key = event.key.length === 1 ? event.key.toUpperCase() : event.key;
  const code = event.code?.startsWith("Digit") ? event.code.slice(5) : event.code?.startsWith("Key") ? event.code.slice(3) : null;
  // Alt with a letter may type another character on some layouts: the physical key counts
  return event.altKey ? `Alt+${code ?? key}` : key;
}

/**
 * state: one of STATES; input: {key} (a key name, see keyName), {typed: true} (the
 * search text changed), or {event: "issued" | "refused" | "cancelled" | "cancel-refused"};
 * matches: how many entries the search shows now.
 * Returns {state, action} where action is null or one of: "move-up", "move-down", "pick",
 * "no-match", "clear", "issue", "back", "priority", "focus-id", "start-cancel",
 * "cancel", "keep", "reprint", "focus-appointment", "focus-find"; `priority` carries the
 * class index (0 = none).
 */
export function deskKey(state, input, matches = 0) {
  if (input.event) return afterEvent(state, input.event);
  if (input.typed) {
    if (state === "issuing" || state === "cancelling") return { state, action: null };
    return { state: "search", action: null };
  }
  const key = input.key;
  if (state === "issuing") return { state, action: null };
  if (key === "F2" || key === "F3") {
    const action = key === "F2" ? "focus-appointment" : "focus-find";
    return { state: state === "cancelling" ? "issued" : state === "confirm" ? "search" : state, action };
  }
  if (state === "search" || state === "confirm") {
    const priority = /^Alt\+([0-4])$/.exec(key);
    if (priority) return { state, action: "priority", priority: Number(priority[1]) };
    if (key === "Alt+I") return { state, action: "focus-id" };
  }
  switch (state) {
    case "search":
      if (key === "ArrowDown") return { state, action: "move-down" };
      if (key === "ArrowUp") return { state, action: "move-up" };
      if (key === "Enter") return matches > 0 ? { state: "confirm", action: "pick" } : { state, action: "no-match" };
      if (key === "Escape") return { state, action: "clear" };
      return { state, action: null };
    case "confirm":
      if (key === "Enter") return { state: "issuing", action: "issue" };
      if (key === "Escape") return { state: "search", action: "back" };
      if (key === "ArrowDown") return { state: "search", action: "move-down" };
      if (key === "ArrowUp") return { state: "search", action: "move-up" };
      return { state, action: null };
    case "issued":
      if (key === "Alt+C") return { state: "cancelling", action: "start-cancel" };
      if (key === "Alt+P") return { state, action: "reprint" };
      if (key === "Escape") return { state: "search", action: "clear" };
      return { state, action: null }; // a late second Enter does nothing
    case "cancelling":
      if (key === "Enter") return { state, action: "cancel" };
      if (key === "Escape") return { state: "issued", action: "keep" };
      return { state, action: null };
    default:
      return { state, action: null };
  }
}

function afterEvent(state, event) {
  switch (event) {
    case "issued": // also a ticket found, or checked in for an appointment
      return { state: "issued", action: null };
    case "refused": // the message says why; fix the choice, the priority or the ID and press Enter again
      return { state: state === "issuing" ? "confirm" : state, action: null };
    case "cancelled":
      return { state: "search", action: "clear" };
    case "cancel-refused":
      return { state: "issued", action: null };
    default:
      return { state, action: null };
  }
}
