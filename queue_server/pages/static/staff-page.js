// How every signed-in staff page starts (the counter, the dashboard, staffing, reports,
// administration): its language buttons, who is signed in — or off to the sign-in page,
// which comes back here afterwards —, an Api that carries the session's CSRF token, and
// the sign-out button. What each page then loads is its own.

import { Api, currentSession, signInAddress } from "./session.js";

/** Start a staff page. `onLanguage(lang)`: a language button was pressed (the page sets
 * its words and redraws). `returnTo`: where the sign-in page brings the user back to.
 * Returns {session, api}, or null when nobody is signed in (the page is on its way to
 * the sign-in page, so the caller stops). */
export async function startStaffPage({ onLanguage, returnTo = location.pathname + location.search }) {
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.addEventListener("click", () => onLanguage(button.dataset.lang));
  }
  const session = await currentSession(new Api());
  if (!session) {
    location.assign(signInAddress(returnTo));
    return null;
  }
  const api = new Api({ csrf: session.csrf_token });
  document.querySelector('[data-testid="sign-out"]')?.addEventListener("click", async () => {
    await api.request("DELETE", "/session");
    location.assign(signInAddress(returnTo));
  });
  return { session, api };
}
