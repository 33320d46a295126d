// A fake clock for the screens' tests: timers that fire only when the test moves time
// on with `tick(ms)`, so nothing waits and nothing depends on the machine's speed.

export class FakeClock {
  constructor() {
    this.now = 0;
    this.timers = new Map(); // id -> {at, callback}
    this.nextId = 1;
    // bound, to be passed where `{setTimeout, clearTimeout}` is expected
    this.setTimeout = (callback, ms = 0) => {
      const id = this.nextId++;
      this.timers.set(id, { at: this.now + ms, callback });
      return id;
    };
    this.clearTimeout = (id) => {
      this.timers.delete(id);
    };
  }

  /** Move time on by `ms`, firing every timer due meanwhile, earliest first. */
  tick(ms) {
    const until = this.now + ms;
    for (;;) {
      let due = null;
      for (const [id, timer] of this.timers) {
        if (timer.at <= until && (due === null || timer.at < due[1].at)) due = [id, timer];
      }
      if (due === null) break;
      this.timers.delete(due[0]);
      this.now = due[1].at;
      due[1].callback();
    }
    this.now = until;
  }

  /** How many timers are pending. */
  get pending() {
    return this.timers.size;
  }
}
