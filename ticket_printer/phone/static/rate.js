// 好差评 on the phone (docs/phone.md): once service finished and nobody rated, the pad's five
// levels, the reasons of the level touched, text, submit; then 已评价 with the level (also
// for a rating given on the pad or by the system). Rules and words: the pad's rating.js,
// by a relative address so that a gateway's prefix holds.

import { face } from "../../pad/static/faces.js";
import { LEVELS, RATING_WORDS, levelsOffered, ratingBody, refusalKey, toggleReason } from "../../pad/static/rating.js";

const make = (tag, className, text) => {
  const node = document.createElement(tag);
  node.className = className;
  if (text) node.textContent = text;
  return node;
};

export class RatingForm {
  /** $: testid → element; url: where to post; changed(): redraw; rated(): read the progress again. */
  constructor($, { url, changed, rated }) {
    Object.assign(this, { $, url, changed, rated, level: null, reasons: [], sending: false, message: null, given: null });
    this.offered = [];
    $("rating-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
  }

  w(key, params = {}) {
    const text = RATING_WORDS[this.language]?.[key] ?? RATING_WORDS["zh-CN"][key];
    return text.replace(/\{(\w+)\}/g, (_, name) => params[name] ?? "");
  }

  /** Draw the progress's `rating` (null: nothing to rate, or no ticket shown). */
  draw(rating, language) {
    const $ = this.$;
    this.language = language;
    $("review").hidden = !rating;
    if (!rating) return;
    const given = rating.given ?? this.given;
    $("rating-given").hidden = !given;
    $("rating-form").hidden = Boolean(given);
    if (given) {
      const label = this.w(`level_${given.level}`);
      const line = this.w(given.channel === "system_default" ? "rated_by_system" : "rated", { label });
      $("rating-given").replaceChildren(face(given.level), line);
      return;
    }
    this.offered = levelsOffered(rating.levels);
    if (!$("rating-levels").firstChild) {
      $("rating-levels").append(...LEVELS.map((level) => this._level(level)));
    }
    $("rating-title").textContent = this.w("rate_title");
    for (const button of $("rating-levels").children) {
      button.classList.toggle("chosen", button.dataset.level === this.level);
      button.setAttribute("aria-pressed", String(button.dataset.level === this.level));
      button.lastChild.textContent = this.w(`level_${button.dataset.level}`);
    }
    $("rating-levels").classList.toggle("has-choice", this.level !== null);
    $("rating-details").hidden = this.level === null;
    const reasons = this._reasons();
    $("rating-reasons-title").hidden = !reasons.length;
    $("rating-reasons-title").textContent = this.w("rate_reasons");
    $("rating-reasons").replaceChildren(...reasons.map((reason) => this._reason(reason, reasons)));
    $("rating-text-label").textContent = this.w("rate_text");
    $("rating-text").placeholder = this.w("rate_text_hint");
    $("rating-message").hidden = !this.message;
    $("rating-message").textContent = this.message ? this.w(this.message.key, { detail: this.message.detail ?? "" }) : "";
    $("rating-submit").textContent = this.w(this.sending ? "rate_sending" : "rate_submit");
    $("rating-submit").classList.toggle("ready", this.level !== null);
    for (const node of $("rating-form").querySelectorAll("button, textarea")) node.disabled = this.sending;
  }

  _reasons() {
    return this.offered.find((entry) => entry.level === this.level)?.reasons ?? [];
  }

  _level(level) {
    const button = make("button", `review-level level-${level}`);
    button.type = "button";
    button.dataset.level = level;
    button.append(face(level), make("span", ""));
    button.addEventListener("click", () => {
      if (level !== this.level) this.reasons = [];
      this.level = level;
      this.message = null;
      this.changed();
    });
    return button;
  }

  _reason(reason, offered) {
    const chip = make("button", "review-reason", reason);
    chip.type = "button";
    chip.dataset.reason = reason;
    chip.classList.toggle("chosen", this.reasons.includes(reason));
    chip.setAttribute("aria-pressed", String(this.reasons.includes(reason)));
    chip.addEventListener("click", () => {
      this.reasons = toggleReason(this.reasons, reason, offered);
      this.changed();
    });
    return chip;
  }

  async submit() {
    if (this.sending) return;
    const body = ratingBody({ ...this, text: this.$("rating-text").value, offered: this._reasons() });
    this.message = body ? null : { key: "rate_choose_first" };
    this.sending = Boolean(body);
    this.changed();
    if (!body) return;
    let answer;
    try {
      // credentials omitted: the citizen's own rating, never with a staff member's session
      const response = await fetch(this.url, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
        credentials: "omit",
      });
      const data = await response.json().catch(() => ({}));
      const network = response.status >= 502 && response.status <= 504;
      answer = { ok: response.ok, status: response.status, data, problem: data, network };
    } catch {
      answer = { ok: false, network: true };
    }
    this.sending = false;
    const key = answer.ok ? null : refusalKey(answer);
    if (answer.ok) this.given = answer.data;
    else this.message = { key: `refused_${key === "closed" ? "failed" : key}`, detail: answer.problem?.detail };
    this.changed();
    if (key === "already_rated") this.rated();
  }
}
