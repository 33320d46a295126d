// Applying a hall's events exactly once and strictly in order (docs/signage.md, "Order
// of events"). Pure: no DOM, no socket; the link tells it what happens on the wire and
// it says, through callbacks, what to apply and when to ask the server again.
//
// Every hall event carries the hall-wide `seq`, one higher per committed transition. A
// subscriber sees every number: its own events, plus a `sequence_advanced` stub for each
// event outside its scope (newer servers; older ones leave such gaps to the catch-up).
// A stub may stand for a run of numbers, `from` to `seq` (the server coalesces a room's
// stubs: queue_server/realtime/stubs.py).

/** How long a gap may stay open before the screen asks for a catch-up: long enough for
 * an event that overtook another (several server processes behind Redis) to be joined
 * by the late one, short enough that a call is not held back for long. */
export const GAP_WAIT_MS = 1500;
/** Past this many held events the screen stops holding and redraws from a snapshot. */
export const MAX_HELD = 1000;
/** The stub a server sends to a room for an event outside that room's scope. */
export const SEQUENCE_ADVANCED = "sequence_advanced";

export function isStub(event) {
  return event?.type === SEQUENCE_ADVANCED;
}

/** The first number an event stands for: a stub's `from`, else its own `seq`. */
export function firstSeq(event) {
  return isStub(event) && Number.isInteger(event.from) && event.from <= event.seq ? event.from : event.seq;
}

export class EventSequencer {
  /**
   * apply(event): apply one hall event to the model (never called for a stub);
   * catchUp(): a gap stayed open for `gapWaitMs`: subscribe again with `since: lastSeq`;
   * snapshot(): more than `maxHeld` events were held: they are dropped, redraw from a snapshot.
   * timers: {setTimeout, clearTimeout}, injectable for tests.
   */
  constructor({ apply, catchUp, snapshot, gapWaitMs = GAP_WAIT_MS, maxHeld = MAX_HELD, timers = globalThis }) {
    this.applyEvent = apply;
    this.catchUp = catchUp;
    this.snapshot = snapshot;
    this.gapWaitMs = gapWaitMs;
    this.maxHeld = maxHeld;
    this.timers = timers;
    this.lastSeq = null; // the last sequence number applied (or skipped by a stub); null: none yet
    this.synced = false; // a subscribe answered since the last connect, none in flight
    this.held = new Map(); // seq -> event that cannot be applied yet
    this.gapTimer = null;
    this.epoch = 0; // one more at every unsync: an apply that asked to subscribe again stops the loop
  }

  /** A live event (or a `sequence_advanced` stub) arrived. */
  receive(event) {
    const seq = event?.seq;
    if (!Number.isInteger(seq)) return;
    if (this.lastSeq !== null && seq <= this.lastSeq) return; // applied already: a duplicate
    if (this.synced && firstSeq(event) <= this.lastSeq + 1) {
      this._take(event);
      this._drain();
      return;
    }
    this._hold(event);
  }

  /** A subscribe is on its way (or failed, or the link has just connected): hold every
   * live event until one is answered; `lastSeq` stays where it is. */
  unsync() {
    this.epoch += 1;
    this.synced = false;
    this._stopGapTimer();
  }

  /** The link dropped: what was held is dropped too (the next subscribe catches up). */
  disconnected() {
    this.unsync();
    this.held.clear();
  }

  /** A subscribe was answered with `{seq, events}` (missed events of the scope, in
   * order) or `{seq, snapshot}` (the page has just redrawn from it). */
  synchronised({ seq, events, snapshot }) {
    const epoch = this.epoch;
    if (snapshot) {
      this.lastSeq = seq; // a snapshot is the state as of `seq`, even an older one
    } else {
      for (const event of events ?? []) {
        if (this.lastSeq !== null && event.seq <= this.lastSeq) continue;
        this._take(event);
        if (this.epoch !== epoch) return; // that event made the page subscribe again (a new day)
      }
      if (Number.isInteger(seq)) this.lastSeq = Math.max(this.lastSeq ?? seq, seq);
    }
    this.synced = true;
    this._drain();
  }

  /** How many events are held. */
  get holding() {
    return this.held.size;
  }

  _hold(event) {
    if (event.seq - firstSeq(event) >= this.maxHeld) {
      this.held.clear(); // a run longer than what may be held: as for too many held events
      this._stopGapTimer();
      this.snapshot?.();
      return;
    }
    // a run of stubs waits under each of its numbers, so that whichever comes next finds it
    for (let seq = Math.max(firstSeq(event), (this.lastSeq ?? -Infinity) + 1); seq <= event.seq; seq += 1) {
      const held = this.held.get(seq);
      if (!held || (isStub(held) && !isStub(event) && event.seq === seq)) this.held.set(seq, event);
    }
    if (this.held.size > this.maxHeld) {
      this.held.clear();
      this._stopGapTimer();
      this.snapshot?.();
      return;
    }
    if (this.synced && !this.gapTimer) {
      this.gapTimer = this.timers.setTimeout(() => this._gapTimedOut(), this.gapWaitMs);
    }
  }

  _take(event) {
    this.lastSeq = Math.max(this.lastSeq ?? event.seq, event.seq);
    if (!isStub(event)) this.applyEvent(event);
  }

  /** Drop what is applied already, apply what follows on, and time a gap left open. */
  _drain() {
    if (!this.synced) return;
    for (const seq of [...this.held.keys()]) if (this.lastSeq !== null && seq <= this.lastSeq) this.held.delete(seq);
    while (this.synced && this.held.has(this.lastSeq + 1)) {
      const next = this.held.get(this.lastSeq + 1);
      this.held.delete(this.lastSeq + 1);
      this._take(next);
      for (const seq of [...this.held.keys()]) if (seq <= this.lastSeq) this.held.delete(seq); // the rest of a run
    }
    if (!this.synced) return; // an applied event made the page subscribe again
    if (this.held.size === 0) {
      this._stopGapTimer();
    } else if (!this.gapTimer) {
      this.gapTimer = this.timers.setTimeout(() => this._gapTimedOut(), this.gapWaitMs);
    }
  }

  _gapTimedOut() {
    this.gapTimer = null;
    if (this.synced && this.held.size > 0) this.catchUp();
  }

  _stopGapTimer() {
    if (this.gapTimer) this.timers.clearTimeout(this.gapTimer);
    this.gapTimer = null;
  }
}
