// What the staffing page shows, as pure functions of the advice the API answered
// (docs/staffing.md): the moves in a sentence, each queue's standing, the target typed
// in, and the debounce that spaces re-reading the advice after a burst of hall events.

const DECIMAL = /^[0-9]{1,6}(\.[0-9]{1,6})?$/;

/** A move in the page's language: "把 6 号窗口（王芳）从 出件发证 调到 综合受理". */
export function moveText(move, t) {
  const clerk = move.clerk ? t("move_clerk", { clerk: move.clerk }) : "";
  return t("move", { window: move.window, clerk, from: move.from_name, to: move.to_name });
}

/** The queues still short after every proposed move, with by how many. */
export function shortAfterMoves(advice) {
  const change = new Map();
  for (const move of advice.moves) {
    change.set(move.from_queue, (change.get(move.from_queue) ?? 0) - 1);
    change.set(move.to_queue, (change.get(move.to_queue) ?? 0) + 1);
  }
  return advice.queues
    .map((queue) => ({ queue, short: -(queue.difference + (change.get(queue.code) ?? 0)) }))
    .filter((entry) => entry.short > 0);
}

/** "short" | "spare" | "even": windows on the queue now against `needed`. */
export function standing(assigned, needed) {
  if (assigned < needed) return "short";
  return assigned > needed ? "spare" : "even";
}

/** The target typed in: {ok, query} (the API's query string) or {ok: false, field, key}. */
export function readTarget(levelText, minutesText) {
  const level = String(levelText).trim();
  const minutes = String(minutesText).trim();
  if (!DECIMAL.test(level) || Number(level) < 1 || Number(level) > 99) {
    return { ok: false, field: "level", key: "bad_level" };
  }
  if (!DECIMAL.test(minutes) || Number(minutes) > 480) return { ok: false, field: "minutes", key: "bad_minutes" };
  const share = Number((Number(level) / 100).toFixed(6));
  return { ok: true, query: `target_minutes=${Number(minutes)}&service_level=${share}` };
}

/** A number as a share in percent, without trailing zeros: 0.8 -> "80". */
export function percent(share) {
  return String(Number((share * 100).toFixed(2)));
}

/** Call `run` once, `waitMs` after the last of a burst of `trigger()` calls. */
export function debounce(run, waitMs, timers = globalThis) {
  let timer = null;
  return function trigger() {
    if (timer !== null) timers.clearTimeout(timer);
    timer = timers.setTimeout(() => {
      timer = null;
      run();
    }, waitMs);
  };
}
