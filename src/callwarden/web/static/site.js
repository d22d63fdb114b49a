// callwarden pages: small helpers, no library. The pages work without this script.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // A file too large for the server is refused here first, with the message beside the field.
  for (const form of document.querySelectorAll("form.upload")) {
    form.addEventListener("submit", (event) => {
      const input = form.querySelector("input[type=file]");
      const max = Number(form.dataset.max || 0);
      const file = input && input.files && input.files[0];
      let note = form.querySelector(".size-error");
      if (file && max && file.size > max) {
        event.preventDefault();
        if (!note) {
          note = document.createElement("p");
          note.className = "error size-error";
          note.setAttribute("role", "alert");
          input.insertAdjacentElement("afterend", note);
        }
        note.textContent = (document.documentElement.lang === "en" ? "The file is larger than " : "文件超过 ")
          + Math.round(max / 1000) + " KB";
      }
    });
  }
  // A conversation with a person: the log is fetched again every few seconds, so the agent's
  // reply (or the customer's next line) shows without a reload; the form keeps what is typed.
  const poll = () => {
    const log = document.getElementById("chat-log");
    if (!log || !log.dataset.poll) return;
    fetch(log.dataset.poll, { credentials: "same-origin" })
      .then((r) => (r.ok ? r.text() : null))
      .then((html) => {
        if (!html) return;
        const box = document.createElement("div");
        box.innerHTML = html;
        const fresh = box.querySelector("#chat-log");
        if (fresh) log.replaceWith(fresh);
      })
      .catch(() => {});
  };
  setInterval(poll, 4000);
  // The case queue refreshes its SLA clocks every minute while it is open.
  if (document.getElementById("case-queue")) {
    setTimeout(() => window.location.reload(), 60000);
  }
});
