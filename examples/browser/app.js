// The browser app's calls to the AudioShake API: plain fetch, no build step, no library.
// The mock answers browsers with CORS headers (`audioshake-mock serve --cors-origin`),
// as a service that allows browser clients would.
"use strict";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
if (params.get("api")) $("api").value = params.get("api");
if (params.get("key")) $("key").value = params.get("key");

function log(line) {
  $("log").textContent += line + "\n";
}

function status(text) {
  $("status").textContent = text;
}

// One API call: the key in x-api-key; a 429 waits for Retry-After and tries again.
async function api(path, options = {}) {
  for (let attempt = 0; ; attempt++) {
    const response = await fetch($("api").value.replace(/\/$/, "") + path, {
      ...options,
      headers: { "x-api-key": $("key").value, ...(options.headers || {}) },
    });
    if (response.status === 429 && attempt < 5) {
      const wait = Number(response.headers.get("Retry-After") || "1");
      log(`429: waiting ${wait} s`);
      await new Promise((done) => setTimeout(done, wait * 1000));
      continue;
    }
    const body = await response.json();
    if (!response.ok) throw new Error(`${options.method || "GET"} ${path}: ${response.status} ${body.message || ""}`);
    return body;
  }
}

const ENDED = new Set(["completed", "error", "failed"]);

async function listModels() {
  const { models } = await api("/models");
  log(`${models.length} models: ${models.map((m) => m.id).join(", ")}`);
}

async function separate() {
  const file = $("file").files[0];
  if (!file) return status("choose a song first");
  $("outputs").textContent = "";
  status("uploading");
  const form = new FormData();
  form.append("file", file);
  const asset = await api("/assets", { method: "POST", body: form });
  log(`uploaded ${asset.name} as ${asset.id}`);
  const created = await api("/tasks", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ assetId: asset.id, targets: [{ model: "vocals", formats: ["wav"], residual: true }] }),
  });
  log(`task ${created.id}`);
  let task = created;
  while (!task.targets.every((t) => ENDED.has(t.status))) {
    status(`processing: ${task.targets.map((t) => `${t.model} ${t.status}`).join(", ")}`);
    await new Promise((done) => setTimeout(done, 1000));
    task = await api(`/tasks/${created.id}`);
  }
  for (const target of task.targets) {
    if (target.status !== "completed") {
      log(`${target.model}: ${target.status} ${target.error ? target.error.message : ""}`);
      continue;
    }
    for (const output of target.output || []) {
      const row = document.createElement("div");
      row.className = "output";
      row.innerHTML = `<strong></strong> <audio controls></audio> <a download>download</a>`;
      row.querySelector("strong").textContent = `${output.name}.${output.format}`;
      row.querySelector("audio").src = output.link;
      row.querySelector("a").href = output.link;
      $("outputs").append(row);
    }
  }
  status(`done: ${task.targets.map((t) => `${t.model} ${t.status}`).join(", ")}; ${task.cost} credits`);
}

function guarded(action) {
  return () => action().catch((error) => { status("error"); log(String(error)); });
}

$("models").addEventListener("click", guarded(listModels));
$("separate").addEventListener("click", guarded(separate));
