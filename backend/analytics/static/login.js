// Moved out of login.html: the Content-Security-Policy allows no inline script.
// With JavaScript the page logs in and stays here (a form login goes to the account's home page).
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
    const detail = (await answer.json().catch(() => ({}))).detail || "Login failed";
    document.getElementById("login-error").textContent = detail;
  }
});
