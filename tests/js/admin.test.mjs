// The administration page's words: every label the page uses is said in each of its
// three languages, and the template asks for no label that none of them has. Run with
// `node --test tests/js/`.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { WORDS } from "../../manage_client/static/admin-words.js";

const root = new URL("../../", import.meta.url);
const read = (path) => readFileSync(new URL(path, root), "utf8");

test("each language says every label of the simplified Chinese one", () => {
  const keys = Object.keys(WORDS["zh-CN"]).sort();
  for (const language of ["zh-TW", "en"]) assert.deepEqual(Object.keys(WORDS[language]).sort(), keys, language);
});

test("every label the template, the managers' bar and the script ask for exists", () => {
  const page = read("manage_client/templates/manage_client/admin.html") + read("manage_client/templates/manage_client/bar.html");
  const asked = new Set([...page.matchAll(/data-i18n(?:-placeholder)?="(\w+)"/g)].map((match) => match[1]));
  for (const match of read("manage_client/static/admin.js").matchAll(/words\.t\("(\w+)"/g)) asked.add(match[1]);
  for (const key of asked) assert.ok(key in WORDS["zh-CN"], `no words for ${key}`);
  assert.ok(asked.size > 40);
});
