// Moved out of login.html: the Content-Security-Policy allows no inline script.
// With JavaScript the page logs in and stays here (a form login goes to the account's home page).
import { startI18n, t } from "/console/static/i18n.js";
import { answerRefusal } from "/console/static/refusals.js";

startI18n();
document.getElementById("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const answer = await fetch("/console/login", {
    method: "POST",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify({agent_id: form.agent_id.value, password: form.password.value}),
  });
  if (answer.ok) {
    location.reload();
  } else {
    // The server's reason in the page's language (its own words for a code not known here).
    const reason = answerRefusal(await answer.json().catch(() => ({}))) || t("login.failed");
    document.getElementById("login-error").textContent = reason;
  }
});
