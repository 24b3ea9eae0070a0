// The answer's address and the page's memory. After an answer the URL fragment carries what was
// asked — #ask?q=…&patient=…&payer=…&as_of=…, and &session=… in a conversation — so the address
// is a permalink: opened, it fills the form and asks again (a conversation's session is picked up
// if it is still alive). The fragment is never sent to the server. The last 20 answers (question,
// patient, plan, date of service, verdict, time) are kept in this browser's localStorage only,
// listed under the answer; a click re-opens one, and "Clear history" forgets them.
"use strict";

const HISTORY_KEY = "criterion-history";
const HISTORY_SIZE = 20;

const LINKED = ["q", "patient", "payer", "as_of", "session"];

// {q, patient, payer, as_of, session} → "#ask?q=…&patient=…" (empty parts left out)
function permalink(query) {
  const params = new URLSearchParams();
  for (const name of LINKED) if (query[name]) params.set(name, query[name]);
  return `#ask?${params}`;
}

// The question an address carries: a permalink (#ask?q=…) or the older #q=…&mode=chat; else null
function linkedQuery(hash) {
  const text = hash.startsWith("#ask?") ? hash.slice(5) : hash.startsWith("#q=") ? hash.slice(1) : null;
  const params = new URLSearchParams(text || "");
  if (!params.get("q")) return null;
  return { ...Object.fromEntries(LINKED.map((name) => [name, params.get(name) || ""])), mode: params.get("mode") || "" };
}

function pastAnswers() {
  try {
    const list = JSON.parse(localStorage.getItem(HISTORY_KEY) || "[]");
    return Array.isArray(list) ? list.filter((entry) => entry && typeof entry.q === "string") : [];
  } catch {
    return [];  // storage off (a private window) or a damaged entry: no history rather than no page
  }
}

function savePastAnswers(list) {
  try {
    if (list.length) localStorage.setItem(HISTORY_KEY, JSON.stringify(list));
    else localStorage.removeItem(HISTORY_KEY);
  } catch {
    // storage full or off: the answer is still on the page and in the address bar
  }
}

// An answer was shown: its permalink goes in the address bar and it heads the history (an
// earlier entry for the same question, patient, plan and date is replaced)
function remember(query, verdict) {
  history.replaceState(null, "", `${location.pathname}${location.search}${permalink(query)}`);
  const entry = { ...Object.fromEntries(LINKED.map((name) => [name, query[name] || ""])), verdict,
    at: new Date().toISOString() };
  const same = (e) => ["q", "patient", "payer", "as_of"].every((name) => (e[name] || "") === entry[name]);
  const rest = pastAnswers().filter((e) => !same(e));
  savePastAnswers([entry, ...rest].slice(0, HISTORY_SIZE));
  showHistory();
}

function showHistory() {
  const list = pastAnswers();
  $("#history").hidden = !list.length;
  $("#history-list").replaceChildren(...list.map((entry, i) => el("li", {},
    el("a", { href: permalink(entry), class: "past", "data-index": i }, entry.q),
    el("span", { class: "past-meta" },
      el("span", { class: `badge verdict-${entry.verdict}` }, String(entry.verdict || "").replace("_", " ")), " ",
      el("time", { datetime: entry.at }, when(entry.at))),
    entry.payer || entry.as_of ? el("span", { class: "hint past-scope" },
      [entry.payer ? `plan ${entry.payer}` : "", entry.as_of ? `date of service ${entry.as_of}` : ""]
        .filter(Boolean).join(", ")) : null,
    entry.patient ? el("span", { class: "hint past-patient" }, entry.patient) : null)));
}

function when(iso) {
  const date = new Date(iso);
  return isNaN(date) ? "" : date.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
}

function startHistory(open) {
  $("#history-list").addEventListener("click", (e) => {
    const link = e.target.closest("a.past");
    if (!link) return;
    e.preventDefault();
    const entry = pastAnswers()[Number(link.dataset.index)];
    if (entry) open({ ...entry, mode: "" });
  });
  $("#clear-history").addEventListener("click", () => {
    savePastAnswers([]);
    showHistory();
  });
  showHistory();
}
