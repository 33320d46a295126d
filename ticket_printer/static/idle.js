// The kiosk's idle timer: after `seconds` without a touch, back to the start screen.
// Pure apart from the timers, which tests pass in (a fake clock).

export class IdleTimer {
  /** onIdle(): called once when the time runs out; timers: {setTimeout, clearTimeout}. */
  constructor(seconds, onIdle, timers = globalThis) {
    this.ms = Math.max(1, Number(seconds) || 0) * 1000;
    this.onIdle = onIdle;
    this.timers = timers;
    this.handle = null;
  }

  /** A touch, a key, a new screen: the time starts again. */
  poke() {
    this.stop();
    this.handle = this.timers.setTimeout(() => {
      this.handle = null;
      this.onIdle();
    }, this.ms);
  }

  /** Nothing to return from (the start screen): no timer. */
  stop() {
    if (this.handle !== null) this.timers.clearTimeout(this.handle);
    this.handle = null;
  }

  get running() {
    return this.handle !== null;
  }
}

/** The idle timeout in seconds from the page's address (`?idle=30`), within 5 s … 10 min;
 * `fallback` when absent or not a number. */
export function idleSeconds(search, fallback = 60) {
  const raw = new URLSearchParams(search).get("idle");
  if (raw === null || !/^\d+$/.test(raw)) return fallback;
  return Math.min(600, Math.max(1, Number(raw)));
}
