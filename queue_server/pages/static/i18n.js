// The staff pages' and the kiosk's own words in zh-CN (the default), zh-TW and en.
// Data (hall, item and queue names) comes from the server as it is; only fixed labels
// are translated. Each page passes its dictionaries; the chosen language is kept in
// localStorage under the page's key, so that a reload keeps it.

export const LANGUAGES = ["zh-CN", "zh-TW", "en"];

export class Translator {
  /** dictionaries: {"zh-CN": {...}, "zh-TW": {...}, en: {...}}; storageKey: where the
   * choice is kept (null: not kept, as on the kiosk, which starts each visitor in zh-CN). */
  constructor(dictionaries, { storageKey = null, language = null } = {}) {
    this.dictionaries = dictionaries;
    this.storageKey = storageKey;
    this.current = "zh-CN";
    this.set(language ?? this._stored() ?? "zh-CN");
  }

  set(language) {
    this.current = LANGUAGES.includes(language) ? language : "zh-CN";
    if (this.storageKey) {
      try {
        localStorage.setItem(this.storageKey, this.current);
      } catch {
        // storage disabled: the choice holds for this visit
      }
    }
    if (globalThis.document) document.documentElement.lang = this.current;
    return this.current;
  }

  /** The label `key`, with `{name}` placeholders filled; zh-CN where a language lacks it. */
  t(key, params = {}) {
    const text = this.dictionaries[this.current]?.[key] ?? this.dictionaries["zh-CN"]?.[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ""));
  }

  /** Fill every element under `root` that carries `data-i18n="key"` (its text) or
   * `data-i18n-placeholder="key"` (its placeholder); mark the active language button. */
  translate(root = document) {
    for (const element of root.querySelectorAll("[data-i18n]")) element.textContent = this.t(element.dataset.i18n);
    for (const element of root.querySelectorAll("[data-i18n-placeholder]")) {
      element.placeholder = this.t(element.dataset.i18nPlaceholder);
    }
    for (const button of root.querySelectorAll("[data-lang]")) {
      button.classList.toggle("active", button.dataset.lang === this.current);
      button.setAttribute("aria-pressed", String(button.dataset.lang === this.current));
    }
  }

  _stored() {
    if (!this.storageKey) return null;
    try {
      return localStorage.getItem(this.storageKey);
    } catch {
      return null;
    }
  }
}
