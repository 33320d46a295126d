// The desk's station: where its tickets print (station.js), from the address or kept by
// the browser, shown and changed on the page.

import { STATION_KEY, checkStation, stationFrom } from "./station.js";
import { $, page, say, t } from "./desk-page.js";

export function drawStation() {
  $("station").textContent = page.station ?? t("station_none");
  $("station-box").dataset.set = String(Boolean(page.station));
}

export function setStation(value) {
  const checked = checkStation(value);
  if (!checked.ok) {
    say("station_bad", null, "warn");
    $("message-title").textContent = t("station_bad", { value: checked.value });
    return false;
  }
  page.station = checked.value || null;
  if (page.station) localStorage.setItem(STATION_KEY, page.station);
  else localStorage.removeItem(STATION_KEY);
  page.keys.settled(); // the next ticket is another request: it prints elsewhere
  drawStation();
  return true;
}

export function chooseStation() {
  const found = stationFrom(location.search, localStorage.getItem(STATION_KEY));
  page.station = found.station;
  if (found.source === "address") localStorage.setItem(STATION_KEY, found.station);
  if (found.invalid !== null) {
    say("station_bad", null, "warn");
    $("message-title").textContent = t("station_bad", { value: found.invalid });
  }
}

export function saveStation() {
  if (setStation($("station-input").value)) {
    $("station-form").hidden = true;
    say(null);
    $("search").focus();
  }
}
