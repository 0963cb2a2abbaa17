// The audioshake-mock dashboard: plain JavaScript over the admin API (/_mock/...).
// No build step, no dependencies. Every value from the mock reaches the page through
// textContent or attributes, never as HTML. Background polls send "X-Mock-Poll: 1" so
// the mock's access log leaves them out; actions (clock, faults, credits) are logged.
"use strict";

const API = new URL("..", document.baseURI).pathname; // "/_mock/" wherever the mock is mounted
const POLL_MS = 1000;
const JOURNAL_KEEP = 1000;
const AUDIO_TYPES = /^audio\//;

const state = {
  key: localStorage.getItem("audioshake-mock.key") || "",
  keys: [],
  now: null, // mock time, ms since epoch
  journal: [],
  journalSeq: 0,
  taskCards: new Map(), // task id -> {print, el}
  polling: false,
};

// -- helpers ---------------------------------------------------------------------------

const $ = (id) => document.getElementById(id);

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "text") node.textContent = String(value);
    else if (name === "class") node.className = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function row(cells, props = {}) {
  return el("tr", props, ...cells.map((c) => (c instanceof Node && c.tagName === "TD" ? c : el("td", {}, c ?? ""))));
}

function replaceRows(tbody, rows) {
  tbody.replaceChildren(...rows);
}

async function api(path, { method = "GET", body, key, poll = false } = {}) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (key) headers["x-api-key"] = key;
  if (poll) headers["X-Mock-Poll"] = "1";
  const response = await fetch(API + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
  });
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const message = data && data.message ? data.message : `${response.status} ${response.statusText}`;
    throw new Error(`${method} ${path}: ${message}`);
  }
  return data;
}

function say(text, kind = "info") {
  const box = $("message");
  box.textContent = text;
  box.className = `message ${kind}`;
  box.hidden = false;
  clearTimeout(say.timer);
  say.timer = setTimeout(() => (box.hidden = true), kind === "error" ? 10000 : 4000);
}

async function act(what, fn) {
  try {
    await fn();
    say(what, "ok");
  } catch (err) {
    say(err.message, "error");
  }
  await refresh();
}

const iso = (ms) => new Date(ms).toISOString().replace(".000Z", "Z");
const short = (id) => (id && id.length > 12 ? `…${id.slice(-8)}` : id ?? "");
const credits = (n) => (n === null || n === undefined ? "–" : Number(n.toFixed(4)).toString());

const plural = (n, noun) => `${n} ${noun}${n === 1 ? "" : "s"}`;

function bytes(n) {
  const units = ["B", "KiB", "MiB", "GiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) (n /= 1024), i++;
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

function relative(isoTime) {
  if (state.now === null) return "";
  const s = Math.round((Date.parse(isoTime) - state.now) / 1000);
  if (s <= 0) return "expired";
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  return h ? `in ${h} h ${m} min` : m ? `in ${m} min` : `in ${s} s`;
}

function badge(status) {
  return el("span", { class: `badge ${status}`, "data-status": status, text: status });
}

// -- rendering -------------------------------------------------------------------------

function renderKeys() {
  const select = $("key-select");
  if (!state.keys.length) {
    select.replaceChildren(el("option", { value: "", text: "no key seen yet" }));
    return;
  }
  if (!state.keys.some((k) => k.key === state.key)) {
    state.key = state.keys[state.keys.length - 1].key; // newest seen
  }
  const current = [...select.options].map((o) => o.value).join("\n");
  if (current !== state.keys.map((k) => k.key).join("\n")) {
    select.replaceChildren(...state.keys.map((k) => el("option", { value: k.key })));
  }
  state.keys.forEach((k, i) => (select.options[i].textContent = `${k.key} (${plural(k.tasks, "task")})`));
  select.value = state.key;
}

function taskPrint(task) {
  return JSON.stringify([task.updatedAt, task.targets.map((t) => [t.status, t.cost, t.output.length])]);
}

function renderTasks(tasks) {
  const box = $("tasks");
  const seen = new Set();
  const cards = tasks.map((task) => {
    seen.add(task.id);
    const print = taskPrint(task);
    const known = state.taskCards.get(task.id);
    if (known && known.print === print) return known.el; // keep <audio> players playing
    const card = taskCard(task);
    state.taskCards.set(task.id, { print, el: card });
    return card;
  });
  for (const id of state.taskCards.keys()) if (!seen.has(id)) state.taskCards.delete(id);
  const same = cards.length === box.children.length && cards.every((c, i) => box.children[i] === c);
  if (!same) box.replaceChildren(...cards);
  $("tasks-empty").hidden = tasks.length > 0;
  $("count-tasks").textContent = tasks.length || "";
}

function taskCard(task) {
  const statuses = task.targets.map((t) => t.status);
  const overall = statuses.every((s) => s === "completed")
    ? "completed"
    : statuses.some((s) => s === "processing")
      ? "processing"
      : "error";
  const source = task.assetId ? `asset ${task.assetId}` : task.url;
  const head = el(
    "div",
    { class: "task-head" },
    el("code", { class: "task-id", text: task.id }),
    badge(overall),
    el("span", { class: "muted", text: `created ${task.createdAt}` }),
    el("span", { class: "muted", text: source }),
    task.metadata ? el("span", { class: "muted", text: `metadata: ${task.metadata}` }) : null,
    el("span", { class: "cost", text: task.cost === undefined ? "" : `${credits(task.cost)} credits` }),
  );
  const rows = task.targets.map((t) =>
    row(
      [
        el("td", {}, el("strong", { text: t.model }), t.variant ? el("span", { class: "muted", text: ` ${t.variant}` }) : null),
        el("td", {}, badge(t.status)),
        t.cost === undefined ? "" : credits(t.cost),
        t.duration === undefined ? "" : `${t.duration.toFixed(1)} s`,
        el("td", { class: "outputs" }, ...outputs(t)),
      ],
      { "data-target": t.id, "data-model": t.model, "data-status": t.status },
    ),
  );
  const table = el(
    "table",
    { class: "targets" },
    el("thead", {}, row(["Target", "Status", "Cost", "Input", "Outputs"].map((h) => el("th", { text: h })))),
    el("tbody", {}, ...rows),
  );
  return el("article", { class: "task", "data-task": task.id, "data-status": overall }, head, table);
}

function outputs(target) {
  if (target.status === "error" && target.error) {
    return [el("span", { class: "error-text", text: `${target.error.code}: ${target.error.message}` })];
  }
  return target.output.map((o) => {
    const link = el("a", { href: o.link, download: `${o.name}.${o.format}`, text: `${o.name}.${o.format}` });
    const player = AUDIO_TYPES.test(o.type) ? el("audio", { controls: true, preload: "none", src: o.link }) : null;
    return el("div", { class: "output" }, link, player);
  });
}

function renderAssets(assets) {
  replaceRows(
    $("assets"),
    assets.map((a) =>
      row([
        el("td", {}, el("a", { href: a.link, download: a.name, text: a.id })),
        a.name,
        a.format,
        bytes(a.size),
        a.createdAt,
        `${a.expiresAt} (${relative(a.expiresAt)})`,
      ]),
    ),
  );
  $("assets-empty").hidden = assets.length > 0;
  $("count-assets").textContent = assets.length || "";
}

function renderCredits(info, ledger) {
  $("balance").textContent = info ? (info.credits === null ? "unlimited" : `${credits(info.credits)} credits`) : "–";
  $("reserved").textContent = info ? `${credits(info.reserved)} credits` : "–";
  replaceRows(
    $("ledger"),
    ledger
      .slice()
      .reverse()
      .map((e) =>
        row(
          [e.seq, iso(e.time * 1000), e.kind, credits(e.credits), short(e.task_id), short(e.target_id), e.model ?? "", e.minutes ?? ""],
          { "data-kind": e.kind },
        ),
      ),
  );
}

function statusClass(status) {
  return status >= 500 ? "s5" : status === 429 ? "s429" : status >= 400 ? "s4" : "s2";
}

function renderJournal() {
  const filter = $("status-filter").value;
  const mine = $("this-key-only").checked;
  const shown = state.journal.filter(
    (e) =>
      (!mine || e.key === state.key) &&
      (filter === "" || (filter.length === 3 ? String(e.status) === filter : String(e.status)[0] === filter)),
  );
  replaceRows(
    $("journal"),
    shown
      .slice(-300)
      .reverse()
      .map((e) =>
        row(
          [
            e.seq,
            iso(e.time * 1000),
            e.method,
            e.query ? `${e.path}?${e.query}` : e.path,
            el("td", { class: statusClass(e.status), text: e.status }),
            e.latencyMs === undefined ? "" : `${e.latencyMs.toFixed(1)} ms`,
            el("td", {}, el("code", { text: e.requestId })),
            e.operationId,
            e.key ?? "",
          ],
          { "data-status": e.status },
        ),
      ),
  );
  $("count-requests").textContent = shown.length || "";
}

function renderDeliveries(deliveries) {
  replaceRows(
    $("deliveries"),
    deliveries
      .slice()
      .reverse()
      .map((d) =>
        row([
          d.id,
          el("td", { class: "id" }, el("code", { text: short(d.taskId) })),
          el("td", { class: "id" }, el("code", { text: short(d.targetId) })),
          d.url,
          d.source,
          el("td", {}, badge(d.state)),
          el("td", {}, ...d.attempts.map((a) => el("div", { class: "attempt", text: `${iso(a.at * 1000)} → ${a.status ?? a.error}` }))),
        ]),
      ),
  );
  $("webhooks-empty").hidden = deliveries.length > 0;
  $("count-webhooks").textContent = deliveries.length || "";
}

function renderFaults(targetFaults, httpFaults) {
  replaceRows(
    $("target-faults"),
    targetFaults.map((f) => row([f.id, f.model, f.probability, f.code, f.message, f.key ?? "any"])),
  );
  replaceRows(
    $("http-faults"),
    httpFaults.map((f) =>
      row([f.id, f.method, f.path, f.status ?? "", f.latencyMs ? `${f.latencyMs} ms` : "", f.drop ? "yes" : "", f.when, f.times ?? "∞", f.key ?? "any"]),
    ),
  );
  $("count-faults").textContent = targetFaults.length + httpFaults.length || "";
}

// -- polling ---------------------------------------------------------------------------

async function refresh() {
  if (state.polling) return;
  state.polling = true;
  try {
    const [clock, keys, targetFaults, httpFaults, journal] = await Promise.all([
      api("clock", { poll: true }),
      api("keys", { poll: true }),
      api("faults", { poll: true }),
      api("http-faults", { poll: true }),
      api(`requests?since=${state.journalSeq}`, { poll: true }),
    ]);
    state.now = Date.parse(clock.now);
    $("clock-now").textContent = clock.now;
    $("clock-mode").textContent = `${clock.mode} clock`;
    state.keys = keys;
    renderKeys();
    if (journal.length) {
      state.journal = state.journal.concat(journal).slice(-JOURNAL_KEEP);
      state.journalSeq = journal[journal.length - 1].seq;
    }
    renderJournal();
    renderFaults(targetFaults, httpFaults);
    const key = state.key;
    if (key) {
      const q = `key=${encodeURIComponent(key)}`;
      const [tasks, assets, info, ledger, deliveries] = await Promise.all([
        api(`tasks?${q}`, { poll: true }),
        api(`assets?${q}`, { poll: true }),
        api(`keys/${encodeURIComponent(key)}`, { poll: true }),
        api(`ledger?${q}`, { poll: true }),
        api("webhook/deliveries", { poll: true, key }),
      ]);
      renderTasks(tasks);
      renderAssets(assets);
      renderCredits(info, ledger);
      renderDeliveries(deliveries);
    } else {
      renderTasks([]);
      renderAssets([]);
      renderCredits(null, []);
      renderDeliveries([]);
    }
    $("live").textContent = "live";
    $("live").className = "live on";
  } catch (err) {
    $("live").textContent = `offline: ${err.message}`;
    $("live").className = "live off";
  } finally {
    state.polling = false;
  }
}

function loop() {
  if (!document.hidden) refresh();
  setTimeout(loop, POLL_MS);
}

// -- controls --------------------------------------------------------------------------

function showTab(name) {
  for (const tab of document.querySelectorAll("[role=tab]")) {
    tab.setAttribute("aria-selected", String(tab.dataset.tab === name));
  }
  for (const panel of document.querySelectorAll("[role=tabpanel]")) panel.hidden = panel.id !== `tab-${name}`;
  if (location.hash !== `#${name}`) history.replaceState(null, "", `#${name}`);
}

function numberOrNull(value) {
  return value === "" ? null : Number(value);
}

function wire() {
  for (const tab of document.querySelectorAll("[role=tab]")) tab.addEventListener("click", () => showTab(tab.dataset.tab));
  showTab((location.hash || "#tasks").slice(1));

  $("key-select").addEventListener("change", (e) => {
    state.key = e.target.value;
    localStorage.setItem("audioshake-mock.key", state.key);
    state.taskCards.clear();
    refresh();
  });

  for (const button of document.querySelectorAll("[data-advance]")) {
    button.addEventListener("click", () =>
      act(`clock advanced by ${button.textContent.slice(1)}`, () => api("clock", { method: "POST", body: { advance: Number(button.dataset.advance) } })),
    );
  }
  $("clock-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const seconds = $("advance-seconds").value;
    if (seconds === "") return say("give the seconds to advance", "error");
    act(`clock advanced by ${seconds} s`, () => api("clock", { method: "POST", body: { advance: Number(seconds) } }));
  });
  $("set-time-button").addEventListener("click", () => {
    const value = $("set-time").value;
    if (!value) return say("pick a time to set", "error");
    const when = value.length === 16 ? `${value}:00Z` : `${value}Z`;
    act(`clock set to ${when}`, () => api("clock", { method: "POST", body: { set: when } }));
  });

  $("credits-form").addEventListener("submit", (e) => {
    e.preventDefault();
    if (!state.key) return say("no key selected", "error");
    const unlimited = $("credits-unlimited").checked;
    const value = $("credits-value").value;
    if (!unlimited && value === "") return say("give a number of credits or tick unlimited", "error");
    const body = { credits: unlimited ? "unlimited" : Number(value) };
    act(`credits of ${state.key} set`, () => api(`keys/${encodeURIComponent(state.key)}`, { method: "PUT", body }));
  });

  $("status-filter").addEventListener("change", renderJournal);
  $("this-key-only").addEventListener("change", renderJournal);

  $("target-fault-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const f = e.target.elements;
    const body = {
      model: f.model.value || "*",
      probability: Number(f.probability.value),
      code: Number(f.code.value),
      message: f.message.value,
      key: f.thisKey.checked && state.key ? state.key : null,
    };
    act("target fault rule added", () => api("faults", { method: "POST", body }));
  });
  $("clear-target-faults").addEventListener("click", () =>
    act("target fault rules cleared", () => api("faults", { method: "DELETE" })),
  );

  $("http-fault-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const f = e.target.elements;
    const body = {
      method: f.method.value || "*",
      path: f.path.value || "*",
      status: numberOrNull(f.status.value),
      latencyMs: Number(f.latencyMs.value || 0),
      drop: f.drop.checked,
      when: f.when.value,
      times: numberOrNull(f.times.value),
      key: f.thisKey.checked && state.key ? state.key : null,
    };
    act("HTTP fault rule added", () => api("http-faults", { method: "POST", body }));
  });
  $("clear-http-faults").addEventListener("click", () =>
    act("HTTP fault rules cleared", () => api("http-faults", { method: "DELETE" })),
  );

  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) refresh();
  });
}

wire();
loop();
