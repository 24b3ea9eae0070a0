// Criterion's page: ask a question (POST /v1/ask) or hold a conversation (POST /v1/chat/stream),
// and render the determination: verdict, summary, criteria, sections with citation markers, and
// the references with their quoted passages. A marker highlights its reference and opens the
// source viewer (viewer.js) on the section it quotes. #documents shows the documents (documents.js).
// Text from the server is only ever inserted as text (never as HTML); helpers are in dom.js.
// A query can be given in the URL fragment (never sent to the server): /#q=…&patient=…&mode=chat
"use strict";

const state = { sessionId: null, busy: false, answer: null, asked: { question: "", patient: "" }, letter: null };
const VERDICTS = {
  yes: "Yes — meets the criteria",
  no: "No — does not meet the criteria",
  conditional: "Conditional — covered when the criteria are met",
  insufficient_evidence: "Insufficient evidence",
  cannot_answer: "Cannot answer from the indexed documents",
  informational: "Informational",
};
const STATUS = { met: "met", not_met: "NOT met", not_documented: "not documented", not_applicable: "n/a" };

function marker(id) {
  return el("a", { href: `#ref-${id}`, class: "cite", "data-ref": id, title: `Show source [${id}]` }, `[${id}]`);
}

function markers(ids) {
  return (ids || []).map(marker);
}

// "… text [2] more [3]" → text nodes and marker links
function withMarkers(text) {
  const parts = String(text || "").split(/\[(\d+)\]/);
  return parts.map((part, i) => (i % 2 ? marker(part) : part));
}

function mode() {
  return document.querySelector('input[name="mode"]:checked').value;
}

function setStatus(text) {
  $("#status").textContent = text || "";
}

function showError(error) {
  const box = $("#error");
  box.replaceChildren(el("strong", {}, error.code || "error"), ": ", error.message || String(error));
  box.hidden = false;
}

async function ask(question, patient) {
  setStatus("Retrieving passages and composing…");
  const response = await fetch("/v1/ask", {
    method: "POST", headers: headers(), body: JSON.stringify({ question, patient: patient || null }),
  });
  if (!response.ok) throw await failure(response);
  render(await response.json());
}

async function chat(message, patient) {
  const response = await fetch("/v1/chat/stream", {
    method: "POST", headers: { ...headers(), Accept: "text/event-stream" },
    body: JSON.stringify({ session_id: state.sessionId, message, patient: patient || null }),
  });
  if (!response.ok) {
    const error = await failure(response);
    if (error.code === "session_not_found") resetChat();
    throw error;
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const event = (block.match(/^event: (.*)$/m) || [])[1];
      const data = JSON.parse((block.match(/^data: (.*)$/m) || [, "{}"])[1]);
      if (event === "retrieving") setStatus("Retrieving passages…");
      else if (event === "composing") setStatus("Composing the determination…");
      else if (event === "error") throw data.error;
      else if (event === "answer") {
        state.sessionId = data.session_id;
        state.asked = { question: data.question, patient: data.patient || "" };
        addTurn(message, data);
        render(data.answer);
      }
    }
  }
}

function addTurn(message, reply) {
  $("#transcript").hidden = false;
  $("#new-chat").hidden = false;
  $("#turns").append(el("li", { class: "turn" },
    el("p", { class: "said" }, el("span", { class: "who" }, "You: "), message),
    reply.question !== message ? el("p", { class: "resolved" }, "Asked as: ", el("q", {}, reply.question)) : null,
    el("p", {}, el("span", { class: `badge verdict-${reply.answer.verdict}` }, reply.answer.verdict))));
  $("#facts").textContent = reply.patient ? `Patient facts so far: ${reply.patient}` : "";
}

function resetChat() {
  state.sessionId = null;
  $("#turns").replaceChildren();
  $("#facts").textContent = "";
  $("#transcript").hidden = true;
  $("#new-chat").hidden = true;
}

function render(answer) {
  state.answer = answer;
  const head = el("div", { class: "print-only print-head" },
    el("p", {}, el("strong", {}, "Question: "), answer.question || state.asked.question),
    state.asked.patient ? el("p", {}, el("strong", {}, "Patient: "), state.asked.patient) : null,
    el("p", { class: "printed" }, `Criterion, ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC. `,
      "Decision support only: every statement quotes its source; verify against it."));
  // the determination (what the printed summary page holds), then the evidence it stands on
  const determination = [head,
    el("p", { class: `verdict verdict-${answer.verdict}`, "data-verdict": answer.verdict },
      "Verdict: ", el("strong", {}, VERDICTS[answer.verdict] || answer.verdict),
      answer.reason ? el("span", { class: "reason" }, ` (${answer.reason})`) : null),
    el("p", { class: "summary" }, withMarkers(answer.summary))];
  if (answer.criteria && answer.criteria.length) {
    determination.push(el("h3", {}, "Criteria"), el("table", { class: "criteria" },
      el("thead", {}, el("tr", {}, el("th", {}, "Criterion"), el("th", {}, "Status"), el("th", {}, "Why"))),
      el("tbody", {}, answer.criteria.map((c) => el("tr", {},
        el("td", { class: "criterion" }, c.text, " ", markers(c.citations)),
        el("td", { class: `status status-${c.status}`, "data-label": "Status" }, STATUS[c.status] || c.status),
        el("td", { class: "why", "data-label": "Why" }, c.detail))))));
  }
  if (answer.numeric_checks && answer.numeric_checks.length) {
    determination.push(el("h3", {}, "Dose and schedule checks"), el("ul", { class: "checks" },
      answer.numeric_checks.map((n) => el("li", {},
        `${n.quantity}: ${n.requested}; limit: ${n.limit} — `,
        el("strong", {}, n.within_limit === null ? "unclear" : n.within_limit ? "within" : "outside"), " ",
        markers(n.citations)))));
  }
  if (answer.missing_information && answer.missing_information.length) {
    determination.push(el("h3", {}, "Missing information"),
      el("ul", { class: "missing" }, answer.missing_information.map((m) => el("li", {}, m))));
  }
  const evidence = [];
  for (const [name, statements] of Object.entries(answer.sections || {})) {
    evidence.push(el("section", { class: "statements" }, el("h3", {}, name),
      el("ul", {}, statements.map((s) => el("li", {}, s.text, " ", markers(s.citations))))));
  }
  if (answer.conflicts && answer.conflicts.length) {
    evidence.push(el("h3", {}, "Where sources disagree"), el("ul", { class: "conflicts" },
      answer.conflicts.map((c) => el("li", {}, c.topic,
        el("ul", {}, c.positions.map((p) => el("li", {}, p.text, " ", markers(p.citations))))))));
  }
  evidence.push(el("h3", {}, "References"), answer.citations && answer.citations.length
    ? el("ol", { class: "references" }, answer.citations.map(reference))
    : el("p", { class: "none" }, "No source was cited."));
  $("#answer").replaceChildren(tools(), el("div", { class: "determination" }, determination),
    el("div", { class: "evidence" }, evidence));
  $("#answer").hidden = false;
}

function reference(c) {
  const where = [c.section, c.page ? `p. ${c.page}` : ""].filter(Boolean).join(", ");
  return el("li", { id: `ref-${c.id}`, tabindex: "-1", "data-document": c.document_id },
    el("span", { class: "ref-num" }, `[${c.id}]`), " ", el("strong", {}, c.title), " ",
    el("code", {}, c.document_id), where ? ` — ${where}` : "",
    el("div", { class: "provenance" },
      el("span", { class: "issuer" }, c.issuer || "issuer not recorded"), " · ",
      el("span", { class: "effective" }, c.effective_date ? `effective ${c.effective_date}` : "no date recorded")),
    el("blockquote", { class: "quote" }, c.quote),
    el("button", { type: "button", class: "link open-source", "data-ref": c.id }, "Open the section"));
}

function tools() {
  return el("div", { class: "answer-tools" },
    el("button", { type: "button", class: "secondary", id: "print" }, "Print"),
    el("button", { type: "button", class: "secondary", id: "letter",
      title: "The determination as a letter (PDF), from POST /v1/determinations" }, "Letter (PDF)"),
    el("span", { id: "letter-out", role: "status" }));
}

// A marker: highlight its reference and open the section it quotes in the source viewer
function cite(id) {
  showReference(id);
  const citation = ((state.answer && state.answer.citations) || []).find((c) => String(c.id) === String(id));
  if (citation) showSource(citation.document_id, citation.section || "", citation);
}

function showReference(id) {
  for (const li of document.querySelectorAll(".references li.highlight")) li.classList.remove("highlight");
  const target = document.getElementById(`ref-${id}`);
  if (!target) return;
  target.classList.add("highlight");
  target.scrollIntoView({ behavior: "smooth", block: "center" });
  target.focus({ preventScroll: true });
}

async function letter() {
  const button = $("#letter");
  button.disabled = true;
  $("#letter-out").replaceChildren("Writing the letter…");
  try {
    const response = await fetch("/v1/determinations", {
      method: "POST", headers: headers({ Accept: "application/pdf, application/json" }),
      body: JSON.stringify({ question: state.asked.question, patient: state.asked.patient || null, format: "pdf" }),
    });
    if (!response.ok) throw await failure(response);
    const name = ((response.headers.get("Content-Disposition") || "").match(/filename="([^"]+)"/) || [])[1];
    state.letter = await response.blob();
    const href = URL.createObjectURL(state.letter);
    $("#letter-out").replaceChildren(el("a", { href, target: "_blank", rel: "noopener", id: "letter-link" },
      `Open the letter${name ? ` (${name})` : ""}`));
  } catch (error) {
    $("#letter-out").replaceChildren(el("span", { class: "error-text" }, errorText(error)));
  } finally {
    button.disabled = false;
  }
}

async function submit(event) {
  if (event) event.preventDefault();
  if (state.busy) return;
  const question = $("#question").value.trim();
  const patient = $("#patient").value.trim();
  if (!question) return;
  state.busy = true;
  $("#submit").disabled = true;
  $("#error").hidden = true;
  try {
    if (mode() === "chat") {
      await chat(question, patient);
      $("#question").value = "";
      $("#patient").value = "";
      $("#question").placeholder = "A follow-up, e.g. “what about for CIDP?” or “and if she had failed azathioprine too?”";
    } else {
      state.asked = { question, patient };
      await ask(question, patient);
      collapse(question);
    }
    setStatus("");
  } catch (error) {
    setStatus("");
    showError(error);
  } finally {
    state.busy = false;
    $("#submit").disabled = false;
  }
}

// After an answer, a narrow screen shows the question as one line with an Edit button (app.css)
function collapse(question) {
  $("#asked-question").textContent = question;
  $("#ask-form").classList.add("asked");
}

function expand() {
  $("#ask-form").classList.remove("asked");
  $("#question").focus();
}

function route() {
  const documents = location.hash === "#documents";
  $("#ask-view").hidden = documents;
  $("#documents-view").hidden = !documents;
  for (const link of document.querySelectorAll("nav.views a")) {
    if (link.getAttribute("href") === (documents ? "#documents" : "#")) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (documents) showDocuments();
}

function switchMode() {
  const chatting = mode() === "chat";
  $("#question-label").textContent = chatting ? "Message" : "Question";
  $("#submit").textContent = chatting ? "Send" : "Ask";
}

async function footer() {
  try {
    const response = await fetch("/readyz");
    const body = await response.json();
    $("#footer").textContent = response.ok
      ? `${body.documents} documents, ${body.chunks} passages indexed`
      : `Not ready: ${body.error.message}`;
  } catch {
    $("#footer").textContent = "";
  }
}

function start() {
  $("#api-key").value = sessionStorage.getItem("criterion-key") || "";
  $("#ask-form").addEventListener("submit", submit);
  $("#question").addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) submit(e); });
  for (const radio of document.querySelectorAll('input[name="mode"]')) radio.addEventListener("change", switchMode);
  $("#new-chat").addEventListener("click", async () => {
    if (state.sessionId) {
      await fetch(`/v1/chat/${encodeURIComponent(state.sessionId)}`, { method: "DELETE", headers: headers() });
    }
    resetChat();
  });
  $("#edit-question").addEventListener("click", expand);
  $("#answer").addEventListener("click", (e) => {
    const link = e.target.closest("a.cite, button.open-source");
    if (link) {
      e.preventDefault();
      cite(link.dataset.ref);
    } else if (e.target.closest("#print")) window.print();
    else if (e.target.closest("#letter")) letter();
  });
  window.addEventListener("hashchange", route);
  startViewer();
  startDocuments();
  footer();
  const params = new URLSearchParams(location.hash.slice(1));
  if (params.get("mode") === "chat") {
    document.querySelector('input[name="mode"][value="chat"]').checked = true;
    switchMode();
  }
  if (params.get("q")) {
    $("#question").value = params.get("q");
    $("#patient").value = params.get("patient") || "";
    history.replaceState(null, "", location.pathname);
    submit();
  } else {
    route();
  }
}

document.addEventListener("DOMContentLoaded", start);
