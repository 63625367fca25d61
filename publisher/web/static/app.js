// The console's only script: live compose preview, tabs, "use this time", calendar drag-and-drop, photos dropped on
// the media library, confirmations.
// Served from the package (no CDN, no build step). Every request it makes carries the page's CSRF token.
"use strict";

(function () {
  const csrf = () => document.querySelector('meta[name="csrf-token"]').content;

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf(), "X-Requested-With": "fetch" },
    });
  }

  // --- confirmations: <button data-confirm="..."> ---------------------------------------------------------------
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.dataset.confirm)) {
      event.preventDefault();
    }
  });

  // --- media library: photos dropped on the upload form are uploaded as if chosen -----------------------------------
  const drop = document.getElementById("media-drop");
  if (drop) {
    const files = document.getElementById("media-files");
    for (const name of ["dragenter", "dragover"]) {
      drop.addEventListener(name, (event) => {
        event.preventDefault();
        drop.classList.add("dragging");
      });
    }
    drop.addEventListener("dragleave", () => drop.classList.remove("dragging"));
    drop.addEventListener("drop", (event) => {
      event.preventDefault();
      drop.classList.remove("dragging");
      if (event.dataTransfer && event.dataTransfer.files.length) {
        files.files = event.dataTransfer.files;
        drop.requestSubmit();
      }
    });
  }

  // --- compose ----------------------------------------------------------------------------------------------------
  const form = document.getElementById("compose");
  if (form) {
    const preview = document.getElementById("preview");
    const submit = document.getElementById("submit");
    const at = document.getElementById("at");
    const asap = document.getElementById("asap");
    const confirmBox = document.getElementById("confirm-quiet");
    let timer = null;
    let selectedTab = null;

    function showTab(id) {
      preview.querySelectorAll("[role=tab]").forEach((tab) => {
        const on = tab.dataset.tab === id;
        tab.setAttribute("aria-selected", on ? "true" : "false");
        const panel = document.getElementById(tab.dataset.tab);
        if (panel) panel.hidden = !on;
      });
    }

    function afterRender() {
      const over = preview.querySelector("[data-over]") !== null;
      submit.disabled = over;
      submit.title = over ? submit.dataset.overTitle || "" : "";
      if (preview.querySelector("[data-quiet]") !== null) confirmBox.hidden = false;
      if (selectedTab) {
        const tab = preview.querySelector('[role=tab][id="' + selectedTab + '"]');
        if (tab) showTab(tab.dataset.tab);
      }
    }

    function refresh() {
      const body = new FormData(form);
      body.delete("image_files"); // files are stored when the form is sent, not on every keystroke
      post(form.dataset.preview, body)
        .then((response) => (response.ok ? response.text() : Promise.reject(response.status)))
        .then((html) => {
          preview.innerHTML = html;
          afterRender();
        })
        .catch(() => {});
    }

    function soon() {
      clearTimeout(timer);
      timer = setTimeout(refresh, 300);
    }

    form.addEventListener("input", soon);
    form.addEventListener("change", soon);
    document.getElementById("campaign").addEventListener("change", (event) => {
      const option = event.target.selectedOptions[0];
      document.getElementById("zone-label").textContent = option.dataset.tz;
    });
    preview.addEventListener("click", (event) => {
      const tab = event.target.closest("[role=tab]");
      if (tab) {
        selectedTab = tab.id;
        showTab(tab.dataset.tab);
        return;
      }
      const use = event.target.closest("[data-use-time]");
      if (use) {
        at.value = use.dataset.useTime;
        asap.checked = false;
        refresh();
      }
    });
    afterRender();
  }

  // --- calendar: drag a waiting delivery to another day -----------------------------------------------------------
  const calendar = document.getElementById("calendar");
  if (calendar) {
    let dragged = null;
    calendar.addEventListener("dragstart", (event) => {
      dragged = event.target.closest(".item.movable");
      if (dragged) event.dataTransfer.setData("text/plain", dragged.dataset.post);
    });
    calendar.addEventListener("dragover", (event) => {
      if (dragged && event.target.closest("[data-date]")) event.preventDefault();
    });
    calendar.addEventListener("drop", (event) => {
      const day = event.target.closest("[data-date]");
      if (!dragged || !day) return;
      event.preventDefault();
      const body = new URLSearchParams({
        at: day.dataset.date + " " + dragged.dataset.time,
        channel: dragged.dataset.channel,
      });
      post("/posts/" + dragged.dataset.post + "/reschedule", body)
        .then((response) => response.json())
        .then((result) => {
          if (result.ok) {
            window.location.reload();
          } else {
            window.alert(result.error);
          }
        });
      dragged = null;
    });
  }
})();
