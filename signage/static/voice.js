// Announcements (docs/signage.md, "Voice"): a queue that plays, for each call, a chime
// and then the call's spoken text `repeat` times, one call after another, never two at
// once and never one call twice. The text is spoken by the browser's speech synthesis
// where it has a voice for the language, else by the server's espeak-ng rendering
// (a WAV fetched with the device token), else not at all (the screen still shows calls).

const MAX_AGE_MS = 2 * 60 * 1000; // older missed calls are shown, not announced
const SERVER_RETRY_MS = 5 * 60 * 1000; // after a 503, ask the server again this much later
const CHIME = [
  // a two-tone "ding-dong" (叮咚) of about a second: frequency in Hz, start and length in s
  { frequency: 880, start: 0, length: 0.45 },
  { frequency: 659.25, start: 0.32, length: 0.62 },
];

export const PATHS = { browser: "browser", server: "server", none: "none" };

function normalise(lang) {
  return String(lang || "")
    .replace(/_/g, "-")
    .toLowerCase();
}

/** The best installed voice for `language`, or null (docs/signage.md, "Voice path"). */
export function chooseVoice(voices, language) {
  const candidates = voices.map((voice) => ({ voice, lang: normalise(voice.lang) }));
  const first = (test) => candidates.find((c) => test(c.lang))?.voice ?? null;
  const anyChinese = (lang) => lang.startsWith("zh") || lang.startsWith("cmn") || lang.startsWith("yue");
  if (language === "en") return first((lang) => lang.startsWith("en"));
  if (language === "zh-TW") {
    return (
      first((lang) => lang === "zh-tw" || lang === "zh-hant-tw") ??
      first((lang) => lang === "zh-hk" || lang.startsWith("zh-hant")) ??
      first(anyChinese)
    );
  }
  return (
    first((lang) => lang === "zh-cn" || lang === "zh-hans-cn" || lang === "cmn-cn" || lang === "zh") ??
    first((lang) => lang.startsWith("zh-hans") || lang.startsWith("cmn")) ??
    first(anyChinese)
  );
}

function wait(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolve when `promise` does, or after `ms` at the latest (a voice that never says
 * "ended" must not hold the queue). */
function atMost(promise, ms) {
  return Promise.race([promise, wait(ms)]);
}

export class Announcer {
  /**
   * link: a ScreenLink (server clock, hall code, authenticated fetch);
   * onChange(): the voice path or the audio lock changed, redraw the label.
   */
  constructor(link, onChange) {
    this.link = link;
    this.onChange = onChange;
    this.settings = { enabled: false, repeat: 2, rate: 1.0 };
    this.language = "zh-CN";
    this.announcer = false;
    this.queue = [];
    this.announced = new Set(); // seq of every call queued on this page
    this.log = []; // {seq, text, path, language, repeat, rate, startedAt, endedAt}
    this.skipped = []; // seq of calls that waited in the queue past the age limit
    this.busy = false;
    this.serverUnavailableUntil = 0;
    this.locked = false; // the browser refused to play audio without a touch
    this.audio = null;
    this.synthesis = window.speechSynthesis ?? null;
    this.voices = this.synthesis ? this.synthesis.getVoices() : [];
    if (this.synthesis) {
      this.synthesis.addEventListener?.("voiceschanged", () => {
        this.voices = this.synthesis.getVoices();
        this.onChange();
      });
    }
    const unlock = () => this._unlock();
    window.addEventListener("pointerdown", unlock);
    window.addEventListener("keydown", unlock);
  }

  configure({ settings, language, announcer, speechAvailable }) {
    if (settings) this.settings = { ...this.settings, ...settings };
    // the server says up front whether it can render audio (espeak-ng installed)
    if (speechAvailable === false) this.serverUnavailableUntil = Infinity;
    if (speechAvailable === true) this.serverUnavailableUntil = 0;
    if (language) this.language = language;
    if (announcer !== undefined) this.announcer = announcer;
    if (!this.speaking()) this.queue = []; // handed over or turned off: drop what was pending
    // find out now, not at the first call, whether the browser holds the sound back
    if (this.speaking()) this._ensureRunning();
    this.onChange();
  }

  /** Whether this page speaks at all: voice on and chosen to speak for its zone. */
  speaking() {
    return Boolean(this.settings.enabled && this.announcer);
  }

  /** The path the next announcement would take. */
  path() {
    if (this.synthesis && chooseVoice(this.voices, this.language)) return PATHS.browser;
    if (Date.now() < this.serverUnavailableUntil) return PATHS.none;
    return PATHS.server;
  }

  /** Queue a call (a ticket_called / ticket_recalled event) unless this page has
   * already queued it, does not speak, or the call is too old to announce. */
  offer(event) {
    if (!this.speaking() || this.announced.has(event.seq)) return false;
    if (this._age(event) > MAX_AGE_MS) return false;
    this.announced.add(event.seq);
    this.queue.push(event);
    this._drain();
    return true;
  }

  _age(event) {
    return this.link.serverNow() - Date.parse(event.at);
  }

  async _drain() {
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.queue.length) {
        const event = this.queue.shift();
        // a backlog (a busy zone, a long repeat) must not read out calls long gone
        if (this._age(event) > MAX_AGE_MS) {
          this.skipped.push(event.seq);
          continue;
        }
        await this._announce(event);
      }
    } finally {
      this.busy = false;
    }
  }

  async _announce(event) {
    const language = this.language;
    const { repeat, rate } = this.settings;
    const text = event.texts?.[language] ?? event.text;
    const spoken = event.speech?.[language] ?? text;
    const entry = { seq: event.seq, text, spoken, language, repeat, rate, path: this.path(), startedAt: Date.now() };
    try {
      // the server renders while the chime plays
      const audio = entry.path === PATHS.server ? this._fetchAudio(event.seq, language, rate) : null;
      audio?.catch(() => {}); // awaited below; not an unhandled rejection meanwhile
      await this._chime();
      if (entry.path === PATHS.browser) {
        entry.path = await this._speakInBrowser(spoken, language, repeat, rate);
      } else if (audio) {
        entry.path = await this._playFromServer(await audio, repeat);
      }
    } catch (error) {
      console.error("announcement failed", error);
      entry.error = String(error);
    }
    entry.locked = this.locked; // the browser held the sound back: shown, not heard
    entry.endedAt = Date.now();
    this.log.push(entry);
    this.onChange();
  }

  _context() {
    if (!this.audio) {
      const Context = window.AudioContext ?? window.webkitAudioContext;
      if (!Context) return null;
      this.audio = new Context();
    }
    return this.audio;
  }

  async _ensureRunning() {
    const context = this._context();
    if (!context) return null;
    if (context.state !== "running") {
      await atMost(context.resume().catch(() => {}), 500);
    }
    const locked = context.state !== "running";
    if (locked !== this.locked) {
      this.locked = locked;
      this.onChange();
    }
    return locked ? null : context;
  }

  _unlock() {
    const context = this._context();
    context?.resume().then(() => {
      if (this.locked) {
        this.locked = false;
        this.onChange();
      }
    });
  }

  async _chime() {
    const context = await this._ensureRunning();
    if (!context) return;
    const start = context.currentTime + 0.05;
    let end = start;
    for (const tone of CHIME) {
      const oscillator = context.createOscillator();
      const gain = context.createGain();
      oscillator.type = "sine";
      oscillator.frequency.value = tone.frequency;
      const at = start + tone.start;
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.5, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + tone.length);
      oscillator.connect(gain).connect(context.destination);
      oscillator.start(at);
      oscillator.stop(at + tone.length);
      end = Math.max(end, at + tone.length);
    }
    await wait((end - context.currentTime) * 1000 + 150);
  }

  async _speakInBrowser(text, language, repeat, rate) {
    const voice = chooseVoice(this.voices, language);
    for (let i = 0; i < repeat; i += 1) {
      const utterance = new SpeechSynthesisUtterance(text);
      utterance.voice = voice;
      utterance.lang = voice?.lang ?? language;
      utterance.rate = rate;
      const done = new Promise((resolve) => {
        utterance.onend = () => resolve("end");
        utterance.onerror = (event) => resolve(event.error ?? "error");
      });
      this.synthesis.speak(utterance);
      // about four Chinese syllables a second at rate 1; generous, only a safety net
      const outcome = await atMost(done, ((text.length / 3) * 1000) / rate + 3000);
      if (outcome === "not-allowed") {
        this.locked = true;
        this.onChange();
        return PATHS.none;
      }
      if (i + 1 < repeat) await wait(400);
    }
    return PATHS.browser;
  }

  /** The server's rendering of call `seq` (WAV bytes), or null where it has no voice. */
  async _fetchAudio(seq, language, rate) {
    const hall = encodeURIComponent(this.link.hall);
    const query = new URLSearchParams({ language, rate: String(rate) });
    const response = await this.link.fetchApi(`/halls/${hall}/announcements/${seq}.wav?${query}`);
    if (response.status === 503) {
      this.serverUnavailableUntil = Date.now() + SERVER_RETRY_MS;
      this.onChange();
      return null;
    }
    if (!response.ok) throw new Error(`announcement ${seq}: HTTP ${response.status}`);
    return response.arrayBuffer();
  }

  async _playFromServer(bytes, repeat) {
    if (!bytes) return PATHS.none;
    const context = await this._ensureRunning();
    if (!context) return PATHS.server; // locked: the label asks for a touch
    const buffer = await context.decodeAudioData(bytes);
    for (let i = 0; i < repeat; i += 1) {
      const source = context.createBufferSource();
      source.buffer = buffer;
      source.connect(context.destination);
      const ended = new Promise((resolve) => {
        source.onended = resolve;
      });
      source.start();
      await atMost(ended, buffer.duration * 1000 + 2000);
      if (i + 1 < repeat) await wait(400);
    }
    return PATHS.server;
  }
}
