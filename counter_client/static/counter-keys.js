// The console's shortcuts: which key runs which window command. Pure; the page keeps the
// clerk's own map in the browser (localStorage), so that a USB caller keypad (呼叫器),
// which types keys, works with whatever keys it sends. Each command may have several keys;
// a key belongs to one command at most.
//
// Key names: "F1" … "F12", numpad keys by their physical code ("Numpad1", "NumpadAdd",
// "NumpadEnter" …: a keypad's keys, whatever Num Lock says), other printable keys upper
// case ("A", "+"), named keys as the browser names them ("PageDown", "Insert"), with
// "Ctrl+", "Alt+" and "Shift+" in front when held (Shift only with a named key).

/** The commands that have keys, in the order the page lists them. */
export const ACTIONS = [
  "call_next",
  "recall",
  "no_show",
  "start",
  "finish",
  "transfer",
  "suspend",
  "pause",
  "call_number",
];

/** Defaults that make sense on a keypad as on a keyboard: F1–F9 along the top, and the
 * numpad's operator keys for the four a clerk presses most. */
export const DEFAULT_KEYS = Object.freeze({
  call_next: ["F1", "NumpadAdd"],
  recall: ["F2", "NumpadMultiply"],
  no_show: ["F3", "NumpadSubtract"],
  start: ["F4", "NumpadDivide"],
  finish: ["F5", "NumpadDecimal"],
  transfer: ["F6"],
  suspend: ["F7"],
  pause: ["F8"],
  call_number: ["F9"],
});

// Keys a dialog of the page needs for itself, and keys that only modify: never a shortcut.
const RESERVED = new Set(["Enter", "Escape", "Tab", "Backspace", "Delete", "ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight"]);
const MODIFIERS = new Set(["Shift", "Control", "Alt", "Meta", "AltGraph", "CapsLock", "NumLock", "Process", "Unidentified", "Dead"]);

/** The name of the key a keydown event is for, or null for a lone modifier. */
export function keyName(event) {
  const key = event.key ?? "";
  if (MODIFIERS.has(key)) return null;
  const code = event.code ?? "";
  let name;
  if (code.startsWith("Numpad")) name = code;
  else if (key.length === 1) name = key === " " ? "Space" : key.toUpperCase();
  else name = key;
  const prefix = [];
  if (event.ctrlKey) prefix.push("Ctrl");
  if (event.altKey) prefix.push("Alt");
  if (event.shiftKey && (key.length !== 1 || code.startsWith("Numpad"))) prefix.push("Shift");
  return [...prefix, name].join("+");
}

/** Whether `name` may be a shortcut: not a key the dialogs need, and not a key that
 * types into a field (a letter, digit or sign without Ctrl or Alt), so typing a reason or
 * an item never runs a command. Numpad keys and F-keys may. */
export function assignable(name) {
  if (!name || RESERVED.has(name)) return false;
  if (/^(Ctrl|Alt)\+/.test(name)) return true;
  if (name.startsWith("Numpad") || /^F([1-9]|1[0-9]|2[0-4])$/.test(name)) return true;
  return !(name.length === 1 || name === "Space");
}

/** The command a key runs, or null. */
export function actionFor(keys, name) {
  if (!name) return null;
  for (const action of ACTIONS) if ((keys[action] ?? []).includes(name)) return action;
  return null;
}

/** A copy of `keys` with `name` added to `action` (and taken from whichever command had
 * it). Refused (the map unchanged, and `refused: true`) for a key that may not be one. */
export function assign(keys, action, name) {
  if (!ACTIONS.includes(action) || !assignable(name)) return { keys, refused: true, from: null };
  const from = actionFor(keys, name);
  const next = {};
  for (const a of ACTIONS) next[a] = (keys[a] ?? []).filter((k) => k !== name);
  if (!next[action].includes(name)) next[action] = [...next[action], name];
  return { keys: next, refused: false, from: from === action ? null : from };
}

/** A copy of `keys` without `name` on `action`. */
export function unassign(keys, action, name) {
  return { ...keys, [action]: (keys[action] ?? []).filter((k) => k !== name) };
}

/** The map kept in the browser, checked: unknown commands and keys that may not be
 * shortcuts are dropped, a key on two commands stays with the first; a command missing
 * from what was kept gets its default. Anything unreadable gives the defaults. */
export function loadKeys(stored) {
  let kept;
  try {
    kept = typeof stored === "string" ? JSON.parse(stored) : stored;
  } catch {
    kept = null;
  }
  if (!kept || typeof kept !== "object" || Array.isArray(kept)) return defaults();
  const seen = new Set();
  const keys = {};
  for (const action of ACTIONS) {
    const list = Array.isArray(kept[action]) ? kept[action] : DEFAULT_KEYS[action];
    keys[action] = list.filter((name) => typeof name === "string" && assignable(name) && !seen.has(name));
    for (const name of keys[action]) seen.add(name);
  }
  return keys;
}

export function defaults() {
  return Object.fromEntries(ACTIONS.map((action) => [action, [...DEFAULT_KEYS[action]]]));
}

/** A key's name as the page shows it: "F1", "小键盘 +", "Ctrl+K". */
export function shownKey(name, numpadWord = "Num") {
  const numpad = {
    NumpadAdd: "+",
    NumpadSubtract: "−",
    NumpadMultiply: "×",
    NumpadDivide: "÷",
    NumpadDecimal: ".",
    NumpadEnter: "Enter",
    NumpadEqual: "=",
  };
  return name.replace(/Numpad(\w+)/, (_, rest) => `${numpadWord} ${numpad[`Numpad${rest}`] ?? rest}`);
}
