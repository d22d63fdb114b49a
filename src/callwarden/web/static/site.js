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
  // The case queue refreshes its SLA clocks every minute while it is open.
  if (document.getElementById("case-queue")) {
    setTimeout(() => window.location.reload(), 60000);
  }
});
