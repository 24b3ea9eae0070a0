// Criterion's page: ask a question (POST /v1/ask) or hold a conversation (POST /v1/chat/stream);
// the answer is rendered by answer.js, a citation's section shown by viewer.js, and #documents
// is the documents page (documents.js). Text from the server is only ever inserted as text
// (never as HTML); the shared helpers are in dom.js. On a phone the form folds after asking.
// A query can be given in the URL fragment (never sent to the server): /#q=…&patient=…&mode=chat
"use strict";

const state = { sessionId: null, busy: false, answer: null, asked: { question: "", patient: "" }, letter: null };

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
