// lanspread page client: the little script the page runs (served as
// /assets/app.<hash>.js; no framework, no build step, nothing from the
// internet). The server renders every view; this module only
//  - follows the event stream (GET /api/v1/events, WHATWG server-sent events),
//  - updates progress bars in place and announces milestones in the one
//    polite status region,
//  - refetches the server-rendered #view (and #banner) when something it
//    shows changed, at most once a second, keeping keyboard focus,
//  - posts actions as JSON (the CSRF-safe way the API requires),
//  - makes "/" focus the search field.
// It keeps no growing state: memory stays flat over a night.

const $ = (selector, root = document) => root.querySelector(selector);
document.documentElement.classList.add("js");

const body = document.body;
const refreshOn = new Set((body.dataset.refreshOn ?? "").split(" ").filter(Boolean));
const lastId = Number(body.dataset.lastId ?? "0");

// --- Formatting: the same rules as src/http/ui/format.ts -------------------
const UNITS = ["B", "KB", "MB", "GB", "TB"];
function formatBytes(bytes) {
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return value.toFixed(digits) + " " + UNITS[unit];
}
function formatEta(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "unknown";
  const s = Math.max(0, Math.round(seconds));
  const pad = (n) => String(n).padStart(2, "0");
  if (s < 60) return s + " s";
  if (s < 3600) return Math.floor(s / 60) + " min " + pad(s % 60) + " s";
  return Math.floor(s / 3600) + " h " + pad(Math.floor(s / 60) % 60) + " min";
}
function percent(done, total) {
  if (total <= 0) return 0;
  return Math.min(100, Math.floor((done / total) * 1000) / 10);
}

// --- Announcements and errors ---------------------------------------------
function announce(text) {
  const region = $("#announcer");
  if (region) region.textContent = text;
}

const MAX_ALERTS = 3;
function showError(text) {
  const alerts = $("#alerts");
  if (!alerts) return;
  const box = document.createElement("div");
  box.className = "alert";
  const p = document.createElement("p");
  p.textContent = text;
  const close = document.createElement("button");
  close.type = "button";
  close.textContent = "Dismiss";
  close.addEventListener("click", () => box.remove());
  box.append(p, close);
  alerts.append(box);
  while (alerts.children.length > MAX_ALERTS) alerts.firstElementChild.remove();
  setTimeout(() => box.remove(), 12000);
}

function nameOf(game) {
  const el = document.querySelector('[data-name][data-game="' + CSS.escape(game) + '"]');
  return el?.dataset.name ?? game;
}

const MILESTONES = {
  "download-begin": (_r, n) => "Downloading " + n + " started",
  "download-finished": (_r, n) => n + " downloaded",
  "download-failed": (r, n) => "Download of " + n + " failed: " + r.message,
  "download-cancelled": (_r, n) => "Download of " + n + " cancelled",
  "download-stalled": (r, n) => "Download of " + n + " stalled: " + (r.reason ?? "no source left"),
  "download-resumed": (_r, n) => "Download of " + n + " resumed",
  "install-begin": (_r, n) => "Installing " + n,
  "install-finished": (_r, n) => n + " installed",
  "install-failed": (r, n) => "Install of " + n + " failed: " + r.message,
  "uninstall-finished": (_r, n) => n + " uninstalled",
  "remove-finished": (_r, n) => "Files of " + n + " removed",
  "game-started": (_r, n) => n + " started",
  "runtime-failed": (r) => "The peer failed: " + r.message,
};

// --- Fragments: the server renders, we swap ---------------------------------
let loadSeq = 0;
let lastLoad = 0;
let timer = null;

/** Fetches `url`'s #banner and #view and swaps them in; the newest load wins. */
async function load(url) {
  const seq = ++loadSeq;
  lastLoad = Date.now();
  let html;
  try {
    const res = await fetch(url, { headers: { "Lanspread-Fragment": "1" } });
    if (!res.ok && res.status !== 404) return false;
    html = await res.text();
  } catch {
    return false;
  }
  if (seq !== loadSeq) return false;
  swap(html);
  return true;
}

function swap(html) {
  const doc = new DOMParser().parseFromString("<body>" + html + "</body>", "text/html");
  const view = $("#view");
  const active = document.activeElement;
  const inView = view && view.contains(active);
  const key = inView ? active.closest("[data-key]")?.dataset.key : undefined;
  for (const id of ["banner", "view"]) {
    const next = doc.getElementById(id);
    const current = document.getElementById(id);
    if (next && current) current.replaceWith(document.adoptNode(next));
  }
  if (inView) {
    const again = key && document.querySelector('[data-key="' + CSS.escape(key) + '"]');
    (again || $("#view"))?.focus({ preventScroll: true });
  }
}

/** Refreshes the current view soon: at most once a second, the last change included. */
function scheduleRefresh() {
  if (timer !== null) return;
  const wait = Math.max(50, 1000 - (Date.now() - lastLoad));
  timer = setTimeout(() => {
    timer = null;
    load(location.href);
  }, wait);
}

async function navigate(url, how = "push") {
  const before = document.querySelectorAll("#view article").length;
  if (!(await load(url))) {
    location.href = url;
    return;
  }
  if (how === "push") history.pushState(null, "", url);
  else history.replaceState(null, "", url);
  syncForm();
  return before;
}

addEventListener("popstate", () => {
  load(location.href).then(syncForm);
});

// --- Events -----------------------------------------------------------------
function kindOf(event) {
  if (event.endsWith("-progress")) return "progress";
  if (event.endsWith("-failed") || event === "service-error" || event === "peer-refused") {
    return "problems";
  }
  if (event.startsWith("peer-") && event !== "peer-library-changed") return "peers";
  if (event.includes("library") || event === "local-peer-ready") return "library";
  return "downloads";
}

function onProgress(r) {
  const boxes = document.querySelectorAll('[data-progress="' + CSS.escape(r.game) + '"]');
  for (const box of boxes) {
    const pct = percent(r.doneBytes, r.totalBytes);
    const bar = box.querySelector("progress");
    // The attribute, not only the property: it is what the page says the value is.
    if (bar) bar.setAttribute("value", String(pct));
    const set = (field, text) => {
      const el = box.querySelector('[data-field="' + field + '"]');
      if (el && el.textContent !== text) el.textContent = text;
    };
    set("pct", pct + "%");
    set("speed", formatBytes(r.bytesPerSecond) + "/s");
    // A download names its time left and sources, an install its archive.
    if ("etaSeconds" in r) set("eta", formatEta(r.etaSeconds) + " left");
    if ("activePeers" in r) set("sources", r.activePeers + " sources");
    if ("archive" in r) set("archive", r.archive);
  }
}

function onEvent(record) {
  const name = record.event;
  if (name === "download-progress" || name === "install-progress") onProgress(record);
  const say = MILESTONES[name];
  if (say) announce(say(record, record.game ? nameOf(record.game) : ""));
  const kind = kindOf(name);
  if (refreshOn.has(kind)) scheduleRefresh();
}

function follow() {
  const conn = $("#conn");
  const state = (s, text) => {
    if (!conn) return;
    conn.dataset.state = s;
    conn.textContent = text;
  };
  const source = new EventSource("/api/v1/events?since=" + lastId);
  source.addEventListener("open", () => state("live", "live"));
  source.addEventListener("error", () => state("lost", "reconnecting…"));
  source.addEventListener("message", (m) => {
    try {
      onEvent(JSON.parse(m.data));
    } catch {
      // A record we cannot read is skipped; the next refresh shows the truth.
    }
  });
  // Events were missed (the log moved on, or the peer restarted): show the state now.
  source.addEventListener("snapshot", () => load(location.href));
}

// --- Actions ----------------------------------------------------------------
function post(game, verb, payload) {
  return fetch("/api/v1/games/" + encodeURIComponent(game) + "/" + verb, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(payload),
  });
}

async function problem(res) {
  try {
    const body = await res.json();
    return body && body.code ? body : { code: "internal", message: res.statusText };
  } catch {
    return { code: "internal", message: "HTTP " + res.status };
  }
}

function confirmFirst(text, label) {
  const dialog = $("#confirm");
  if (!dialog) return Promise.resolve(false);
  $("#confirm-title").textContent = label + "?";
  $("#confirm-text").textContent = text;
  $("#confirm-ok").textContent = label;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
  });
}

const DONE = {
  uninstall: (n) => n + " uninstalled",
  remove: (n) => "Files of " + n + " removed",
  play: (n) => n + " started",
};

async function act(button) {
  if (button.getAttribute("aria-disabled") === "true") return;
  const label = button.textContent.trim();
  const verb = button.dataset.action;
  const game = button.dataset.game;
  const name = button.dataset.name ?? game;
  if (button.dataset.confirm && !(await confirmFirst(button.dataset.confirm, label))) {
    button.focus();
    return;
  }
  const route = verb === "update" ? "download" : verb;
  let payload = JSON.parse(button.dataset.body || "{}");
  button.setAttribute("aria-disabled", "true");
  try {
    let res = await post(game, route, payload);
    let failure = res.ok ? null : await problem(res);
    // A peer that cannot install yet still downloads: the game ends Downloaded.
    if (failure?.code === "unsupported" && route === "download" && payload.install) {
      payload = { ...payload, install: false };
      res = await post(game, route, payload);
      failure = res.ok ? null : await problem(res);
    }
    if (failure) showError(label + " " + name + ": " + failure.message);
    else if (DONE[verb]) announce(DONE[verb](name));
  } catch {
    showError(label + " " + name + ": the peer did not answer");
  } finally {
    button.removeAttribute("aria-disabled");
    scheduleRefresh();
  }
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-action]");
  if (button) {
    event.preventDefault();
    act(button);
    return;
  }
  const link = event.target.closest("a[data-nav]");
  if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
  event.preventDefault();
  const more = link.dataset.key === "more";
  navigate(link.href).then((before) => {
    if (!more || before === undefined) return;
    // "Show more": go on at the first new card.
    document.querySelectorAll("#view article h3 a")[before]?.focus();
  });
});

// --- Search, filter and sort of the library ---------------------------------
const form = $("#library-form");
function formUrl() {
  const params = new URLSearchParams(new FormData(form));
  for (const [k, v] of [...params]) {
    if (!v || (k === "filter" && v === "all") || (k === "sort" && v === "name")) params.delete(k);
  }
  const query = params.toString();
  return query ? "/?" + query : "/";
}
function syncForm() {
  if (!form) return;
  const params = new URL(location.href).searchParams;
  form.elements.filter.value = params.get("filter") ?? "all";
}
if (form) {
  let typing = null;
  form.elements.q.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(() => navigate(formUrl(), "replace"), 200);
  });
  form.elements.sort.addEventListener("change", () => navigate(formUrl()));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    navigate(formUrl());
  });
}

function isTextField(el) {
  if (!el) return false;
  const tag = el.tagName;
  return el.isContentEditable || tag === "TEXTAREA" || tag === "SELECT" ||
    (tag === "INPUT" && !["button", "checkbox", "radio", "submit"].includes(el.type));
}
document.addEventListener("keydown", (event) => {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  if (isTextField(document.activeElement)) return;
  const search = $("#q");
  if (!search) return;
  event.preventDefault();
  search.focus();
  search.select();
});

// --- Settings ---------------------------------------------------------------
const settings = $("#settings-form");
settings?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const patch = {};
  for (const el of settings.elements) {
    if (!el.name || el.value === el.defaultValue) continue;
    const type = el.dataset.type;
    if (type === "rate") patch[el.name] = el.value === "" ? null : Number(el.value);
    else if (type === "int") patch[el.name] = Number(el.value);
    else patch[el.name] = el.value;
  }
  if (Object.keys(patch).length === 0) {
    announce("Nothing changed");
    return;
  }
  try {
    const res = await fetch("/api/v1/settings", {
      method: "PATCH",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(patch),
    });
    if (!res.ok) {
      showError("Settings not saved: " + (await problem(res)).message);
      return;
    }
    for (const el of settings.elements) if (el.name) el.defaultValue = el.value;
    announce("Settings saved");
  } catch {
    showError("Settings not saved: the peer did not answer");
  }
});

follow();
