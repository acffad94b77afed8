// Berth dashboard: copy buttons, typed confirmations, upload progress and following imports. No framework.
"use strict";

function say(text) {
  const live = document.getElementById("live");
  if (live) { live.textContent = text; }
}

function copyFallback(text) {
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.className = "visually-hidden";
  document.body.appendChild(area);
  area.select();
  const done = document.execCommand("copy");
  area.remove();
  return done;
}

async function copy(button) {
  const source = document.getElementById(button.dataset.copy);
  const text = source.value !== undefined ? source.value : source.textContent;
  let done = false;
  try {
    await navigator.clipboard.writeText(text);
    done = true;
  } catch (error) {
    done = copyFallback(text);
  }
  button.textContent = done ? "Copied" : "Select and copy by hand";
  say(done ? "Copied to the clipboard." : "Copying failed; select the text and copy it by hand.");
}

function confirmations() {
  document.querySelectorAll("[data-enabled-by]").forEach((button) => {
    const input = document.getElementById(button.dataset.enabledBy);
    const update = () => { button.disabled = input.value !== input.dataset.mustEqual; };
    input.addEventListener("input", update);
    update();
  });
}

function signature(state) {
  return [state.status, ...state.imports.map((i) => i.id + ":" + i.state)].join("|");
}

function follow(before) {
  const holder = document.getElementById("endpoint-state");
  if (!holder) { return; }
  let first = before;
  const tick = async () => {
    const answer = await fetch(holder.dataset.state, {headers: {Accept: "application/json"}});
    if (!answer.ok) { say("Berth could not be reached; refresh the page to try again."); return; }
    const state = await answer.json();
    if (first === null) { first = signature(state); }
    if (signature(state) !== first) {
      window.location.assign(window.location.pathname + "#imports");
      window.location.reload();
      return;
    }
    setTimeout(tick, 700);
  };
  tick();
}

function upload(form) {
  const bar = document.getElementById("upload-progress");
  const status = document.getElementById("upload-status");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.setRequestHeader("Accept", "application/json");
    bar.hidden = false;
    request.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) { bar.value = Math.round(100 * e.loaded / e.total); }
    });
    request.addEventListener("load", () => {
      let body = {};
      try { body = JSON.parse(request.responseText); } catch (error) { body = {}; }
      if (request.status === 202) {
        bar.value = 100;
        status.textContent = "Uploaded. Loading it into the database…";
        follow("uploaded");
      } else {
        bar.hidden = true;
        status.textContent = (body.error && body.error.message) || "The upload failed; try again.";
        status.className = "error";
      }
    });
    request.addEventListener("error", () => { status.textContent = "The upload was interrupted; try again."; });
    status.textContent = "Uploading…";
    request.send(new FormData(form));
  });
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-copy]").forEach((b) => b.addEventListener("click", () => copy(b)));
  confirmations();
  const form = document.getElementById("upload-form");
  if (form) { upload(form); }
  const holder = document.getElementById("endpoint-state");
  if (holder && holder.dataset.watch === "yes") { follow(holder.dataset.signature || null); }
});
