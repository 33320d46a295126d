// What the desk's find box was given, and what an appointment reference must look like.
// Pure. A ticket number (`B023`, `b 023`) is looked up in the address; anything else is
// taken as an ID number, checked here first, and goes only in a POST body
// (`…/tickets/search`): an address ends up in logs and histories.

import { checkIdNumber } from "./idnumber.js";

const NUMBER = /^[A-Z]\d{3}$/; // the server's ticket number: a letter and three digits
const REFERENCE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/; // the server's booking reference

/**
 * {kind: "empty"} | {kind: "number", number} | {kind: "id", idNumber} |
 * {kind: "bad", error: "checksum" | "format"}.
 */
export function parseFind(raw) {
  const text = String(raw ?? "")
    .replace(/\s/g, "")
    .toUpperCase();
  if (text === "") return { kind: "empty" };
  if (NUMBER.test(text)) return { kind: "number", number: text };
  const checked = checkIdNumber(text);
  if (checked.ok) return { kind: "id", idNumber: checked.value };
  return { kind: "bad", error: checked.error };
}

/** A booking reference as typed or scanned (a scanner may add blanks): {ok, value}. */
export function parseReference(raw) {
  const value = String(raw ?? "").trim();
  if (value === "") return { ok: false, value, error: "empty" };
  return REFERENCE.test(value) ? { ok: true, value } : { ok: false, value, error: "format" };
}

/** "HH:MM" in the page's clock for an ISO instant (check_in_from), or null. */
export function clockTime(iso, timeZone = "Asia/Shanghai") {
  if (!iso) return null;
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return null;
  return new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hour12: false, timeZone }).format(when);
}
