// The review pad's flow, from an invitation to the thanks or the end, and its countdown.
// Pure: no DOM, timers passed in; tested with Node's runner (tests/js/rating.test.mjs).

import { LEVELS, levelsOffered, MAX_TEXT, ratingBody, refusalKey, toggleReason } from "./rating.js";

/** Whole seconds left until `closesAt` (an ISO instant) at server time `nowMs`; 0 once past,
 * at most `most` (the invitation's `timeout_seconds`: the server's time is an estimate, off
 * by up to half a round trip, and the pad never shows more than the server gave). */
export function secondsLeft(closesAt, nowMs, most = Infinity) {
  const end = Date.parse(closesAt ?? "");
  if (Number.isNaN(end)) return 0;
  return Math.min(most, Math.max(0, Math.ceil((end - nowMs) / 1000)));
}

/**
 * The review pad's flow. States: `idle` (the window and its clerk), `rating` (an
 * invitation open: level, reasons, text, submit), `thanks` (rated here), `ended` (the
 * invitation ended without a rating from this pad: timed out, rated elsewhere, refused;
 * the page says why and that the QR code still rates), back to `idle` after a while.
 * onChange() is called after every change; timers: {setTimeout, clearTimeout}.
 */
export class PadFlow {
  constructor({ onChange = () => {}, timers = globalThis, thanksMs = 6000, endedMs = 10000 } = {}) {
    this.onChange = onChange;
    this.timers = timers;
    this.thanksMs = thanksMs;
    this.endedMs = endedMs;
    this.timer = null;
    this._reset();
    this.state = "idle";
  }

  _reset() {
    this.invitation = null;
    this.levels = [];
    this.level = null;
    this.reasons = [];
    this.text = "";
    this.sending = false;
    this.message = null; // {key, detail}: a refusal shown on the rating screen
    this.ended = null; // {key, detail}: why the rating screen ended
    this.given = null; // the rating as given here
  }

  get ref() {
    return this.invitation?.ticket?.ref ?? null;
  }

  get offered() {
    return this.levels.find((entry) => entry.level === this.level)?.reasons ?? [];
  }

  /** The server invites a rating of `invitation.ticket` (rating_requested, or the
   * subscribe answer's `rating`). The same invitation again changes nothing. */
  invite(invitation) {
    if (!invitation?.ticket?.ref) return;
    if (this.state === "rating" && invitation.ticket.ref === this.ref) return;
    this._stopTimer();
    this._reset();
    this.invitation = invitation;
    this.levels = levelsOffered(invitation.levels);
    this.state = "rating";
    this.onChange();
  }

  /** The server closed an invitation (rating_closed): this pad's current one ends;
   * `next_call` goes straight back to idle, a timeout or a rating from elsewhere says so. */
  closed(notice) {
    if (this.state !== "rating" || notice?.ticket?.ref !== this.ref) return;
    if (this.sending && notice.reason === "rated") return; // ours, most likely: the answer says
    if (notice.reason === "next_call") this.idle();
    else this._end(notice.reason === "rated" ? "already_rated" : "closed");
  }

  /** The subscribe answer after a (re)connect: the invitation open now, or none. */
  synced(rating) {
    if (rating) this.invite(rating);
    else if (this.state === "rating" && !this.sending) this._end("closed");
  }

  /** The countdown the server gave ran out on this pad's clock. */
  expired() {
    if (this.state === "rating" && !this.sending) this._end("closed");
  }

  choose(level) {
    if (this.state !== "rating" || this.sending || !LEVELS.includes(level)) return;
    if (level !== this.level) this.reasons = [];
    this.level = level;
    this.message = null;
    this.onChange();
  }

  toggle(reason) {
    if (this.state !== "rating" || this.sending) return;
    this.reasons = toggleReason(this.reasons, reason, this.offered);
    this.onChange();
  }

  write(text) {
    this.text = String(text ?? "").slice(0, MAX_TEXT);
  }

  /** The body to send now, or null (no level chosen: the page says to choose one). */
  body() {
    if (this.state !== "rating" || this.sending) return null;
    const body = ratingBody({
      level: this.level,
      reasons: this.reasons,
      text: this.text,
      offered: this.offered,
      ticketRef: this.ref,
    });
    if (!body) {
      this.message = { key: "rate_choose_first" };
      this.onChange();
      return null;
    }
    this.sending = true;
    this.message = null;
    this.onChange();
    return body;
  }

  /** The server's answer to the body sent for ticket `ref`: thanks, or what the refusal
   * means. An answer for a ticket no longer shown (a new invitation came meanwhile) is
   * dropped. */
  answered(answer, ref = this.ref) {
    if (ref !== this.ref) return;
    this.sending = false;
    if (this.state !== "rating") return;
    if (answer?.ok) {
      this.given = answer.data;
      this.state = "thanks";
      this._later(this.thanksMs);
      this.onChange();
      return;
    }
    const key = refusalKey(answer);
    const detail = answer?.problem?.detail ?? null;
    if (key === "already_rated" || key === "closed" || key === "not_finished") {
      this._end(key === "not_finished" ? "closed" : key, detail);
      return;
    }
    this.message = { key: `refused_${key}`, detail };
    this.onChange();
  }

  idle() {
    this._stopTimer();
    this._reset();
    this.state = "idle";
    this.onChange();
  }

  _end(key, detail = null) {
    const invitation = this.invitation;
    this._reset();
    this.invitation = invitation; // its number stays on the screen that says it ended
    this.ended = { key, detail };
    this.state = "ended";
    this._later(this.endedMs);
    this.onChange();
  }

  _later(ms) {
    this._stopTimer();
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      this.idle();
    }, ms);
  }

  _stopTimer() {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }
}
