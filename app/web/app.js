// Criterion's page: ask a question (POST /v1/ask) or hold a conversation (POST /v1/chat/stream);
// the answer is rendered by answer.js, a citation's section shown by viewer.js, and #documents
// is the documents page (documents.js). Text from the server is only ever inserted as text
// (never as HTML); the shared helpers are in dom.js. On a phone the form folds after asking.
// An answer's permalink (#ask?q=…&patient=…&payer=…&as_of=…&session=…, never sent to the server)
// and the local history of past answers are history.js; the Copy button's text is clipboard.js.
// The plan (payer) and the date of service are optional: sent only when given, and in a
// conversation kept by the service for the later turns (state.scope says which are in force).
"use strict";

const NO_SCOPE = { payer: "", as_of: "" };
const state = { sessionId: null, busy: false, answer: null, asked: { question: "", patient: "", ...NO_SCOPE },
  scope: { ...NO_SCOPE }, letter: null };

function mode() {
  return document.querySelector('input[name="mode"]:checked').value;
}

function setStatus(text) {
  $("#status").textContent = text || "";
}

// The plan and the date of service as the form has them (an unfinished date reads as none)
function formScope() {
  return { payer: $("#payer").value.trim(), as_of: $("#as-of").value };
}

// Only the parts given go in a request: the service refuses an empty plan
function given(scope) {
  return Object.fromEntries(Object.entries(scope || {}).filter(([, value]) => value));
}

function showError(error) {
  const box = $("#error");
  box.replaceChildren(el("strong", {}, error.code || "error"), ": ", error.message || String(error));
  box.hidden = false;
}

// One question (POST /v1/ask) under a plan and date of service ({payer, as_of}, each optional);
// `session`, when a permalink re-opens a conversation's turn, goes in its permalink
async function ask(question, patient, scope, session) {
  setStatus("Retrieving passages and composing…");
  const response = await fetch("/v1/ask", {
    method: "POST", headers: headers(), body: JSON.stringify({ question, patient: patient || null, ...given(scope) }),
  });
  if (!response.ok) throw await failure(response);
  const answer = await response.json();
  const asked = { ...NO_SCOPE, ...given(scope) };
  state.asked = { question, patient: patient || "", ...asked };
  render(answer);
  remember({ q: question, patient, ...asked, session }, answer.verdict);
}

// A turn of the conversation (POST /v1/chat/stream); a plan or date given replaces the one the
// conversation holds, one left empty keeps it
async function chat(message, patient, scope) {
  const kept = { ...state.scope, ...given(scope) };
  const response = await fetch("/v1/chat/stream", {
    method: "POST", headers: { ...headers(), Accept: "text/event-stream" },
    body: JSON.stringify({ session_id: state.sessionId, message, patient: patient || null, ...given(scope) }),
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
        state.scope = kept;
        state.asked = { question: data.question, patient: data.patient || "", ...kept };
        addTurn(message, data);
        render(data.answer);
        remember({ q: data.question, patient: data.patient, ...kept, session: data.session_id }, data.answer.verdict);
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
  showFacts(reply.patient);
}

// What the conversation holds besides its turns: the patient facts, the plan and the date of service
function showFacts(patient) {
  const scope = [state.scope.payer ? `plan ${state.scope.payer}` : "",
    state.scope.as_of ? `date of service ${state.scope.as_of}` : ""].filter(Boolean).join(", ");
  $("#facts").textContent = [patient ? `Patient facts so far: ${patient}` : "",
    scope ? `Kept for this conversation: ${scope}` : ""].filter(Boolean).join(" · ");
}

// A conversation re-opened by its permalink: its turns as the service keeps them (the resolved
// questions), and the plan and date of service the link carries
function restoreChat(session, scope) {
  resetChat();
  state.sessionId = session.session_id;
  state.scope = { ...NO_SCOPE, ...given(scope) };
  $("#transcript").hidden = false;
  $("#new-chat").hidden = false;
  $("#turns").replaceChildren(...session.turns.map((turn) => el("li", { class: "turn" },
    el("p", { class: "resolved" }, "Asked as: ", el("q", {}, turn.question)),
    el("p", {}, el("span", { class: `badge verdict-${turn.verdict}` }, turn.verdict)))));
  showFacts(session.patient.join("; "));
}

function resetChat() {
  state.sessionId = null;
  state.scope = { ...NO_SCOPE };
  $("#turns").replaceChildren();
  $("#facts").textContent = "";
  $("#transcript").hidden = true;
  $("#new-chat").hidden = true;
}

// One request at a time; its failure is shown on the page
async function working(work) {
  if (state.busy) return;
  state.busy = true;
  $("#submit").disabled = true;
  $("#error").hidden = true;
  try {
    await work();
    setStatus("");
  } catch (error) {
    setStatus("");
    showError(error);
  } finally {
    state.busy = false;
    $("#submit").disabled = false;
  }
}

async function submit(event) {
  if (event) event.preventDefault();
  const question = $("#question").value.trim();
  const patient = $("#patient").value.trim();
  const scope = formScope();
  if (!question) return;
  await working(async () => {
    if (mode() === "chat") {
      await chat(question, patient, scope);
      readyForFollowUp();
    } else {
      await ask(question, patient, scope);
      collapse(question);
    }
  });
}

// After a turn the fields empty: the conversation keeps its patient facts, plan and date (shown
// under the turns); what is typed next adds to them or replaces them
function readyForFollowUp() {
  $("#question").value = "";
  $("#patient").value = "";
  $("#payer").value = "";
  $("#as-of").value = "";
  $("#question").placeholder = "A follow-up, e.g. “what about for CIDP?” or “and if she had failed azathioprine too?”";
}

// A permalink or a past answer: the form filled and the question asked. A conversation's session,
// if the service still holds it, is picked up (its turns shown, follow-ups go on in it) and the
// turn re-answered as one question, so opening the link adds no turn; a lapsed session is a single question.
async function reopen(query) {
  if (state.busy) return;
  showView(false);
  const session = query.session ? await getJSON(`/v1/chat/${encodeURIComponent(query.session)}`).catch(() => null) : null;
  setMode(session || (query.mode === "chat" && !query.session) ? "chat" : "ask");
  if (!session) resetChat();
  $("#question").value = query.q;
  $("#patient").value = query.patient || "";
  $("#payer").value = query.payer || "";
  $("#as-of").value = query.as_of || "";  // a date the input cannot read is left out
  if (!session) return submit();
  const scope = formScope();
  restoreChat(session, scope);
  await working(async () => {
    await ask(query.q, query.patient, scope, session.session_id);
    readyForFollowUp();
  });
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
  const query = linkedQuery(location.hash);
  if (query) reopen(query);
  else showView(location.hash === "#documents");
}

function showView(documents) {
  $("#ask-view").hidden = documents;
  $("#documents-view").hidden = !documents;
  for (const link of document.querySelectorAll("nav.views a")) {
    if (link.getAttribute("href") === (documents ? "#documents" : "#")) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (documents) showDocuments();
}

function setMode(value) {
  document.querySelector(`input[name="mode"][value="${value}"]`).checked = true;
  switchMode();
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
    else if (e.target.closest("#copy")) copyAnswer();
    else if (e.target.closest("#letter")) letter();
    else if (e.target.closest("#feedback-up")) feedback("up");
    else if (e.target.closest("#feedback-down")) { $("#feedback-form").hidden = false; $("#feedback-comment").focus(); }
  });
  $("#answer").addEventListener("submit", (e) => {
    if (e.target.id !== "feedback-form") return;
    e.preventDefault();
    feedback("down");
  });
  window.addEventListener("hashchange", route);
  startViewer();
  startDocuments();
  startHistory(reopen);
  footer();
  route();
}

document.addEventListener("DOMContentLoaded", start);
