// The source viewer: a citation opens the section it quotes (GET /v1/documents/{id}/section), the
// quote highlighted in it, with the document's title, issuer, effective date, status and source.
// It sits beside the answer on a wide screen and over it on a narrow one; Escape closes it.
"use strict";

const viewer = { request: 0, citation: null };  // the citation that opened it, highlighted in its own section

// Where the quote is: inside the chunk it was taken from, else anywhere in the section (-1: not found)
function quoteAt(section, citation) {
  if (!citation || !citation.quote) return -1;
  const chunk = (section.chunks || []).find((c) => c.chunk_id === citation.chunk_id);
  if (chunk) {
    const at = section.text.slice(chunk.start, chunk.end).indexOf(citation.quote);
    if (at >= 0) return chunk.start + at;
  }
  return section.text.indexOf(citation.quote);
}

function openViewer() {
  $("#viewer").hidden = false;
  document.body.classList.add("viewing");
}

function closeViewer() {
  viewer.request += 1;  // an answer still on its way is dropped
  $("#viewer").hidden = true;
  document.body.classList.remove("viewing");
}

// Open the section ``name`` of document ``documentId``; ``citation`` (optional) is highlighted in it
async function showSource(documentId, name, citation) {
  const request = ++viewer.request;
  viewer.citation = citation || null;
  openViewer();
  $("#viewer-ref").textContent = citation ? `Source [${citation.id}]` : "Source";
  $("#viewer-body").replaceChildren(el("p", { class: "loading" }, "Opening the section…"));
  try {
    const section = await getJSON(`/v1/documents/${documentPath(documentId)}/section?name=${encodeURIComponent(name)}`);
    if (request !== viewer.request) return;
    renderSource(section, citation && citation.section === section.name ? citation : null);
  } catch (error) {
    if (request !== viewer.request) return;
    $("#viewer-body").replaceChildren(el("p", { class: "error" }, errorText(error)),
      citation ? el("blockquote", { class: "quote" }, citation.quote) : null);
  }
}

function fact(name, value, cls) {
  return value ? [el("dt", {}, name), el("dd", { class: cls }, value)] : [];
}

function renderSource(section, citation) {
  const doc = section.document;
  const at = quoteAt(section, citation);
  const text = section.text;
  const body = at < 0 ? [text] : [text.slice(0, at),
    el("mark", { id: "viewer-quote" }, text.slice(at, at + citation.quote.length)), text.slice(at + citation.quote.length)];
  const step = (label, target) => el("button", {
    type: "button", class: "step", disabled: !target, title: target || "", "data-section": target || "",
  }, label);
  const nav = el("nav", { class: "steps", "aria-label": "Sections of the document" },
    step("← Previous section", section.previous), step("Next section →", section.next));
  nav.addEventListener("click", (e) => {
    const button = e.target.closest("button.step");
    if (button && button.dataset.section) showSource(doc.id, button.dataset.section, viewer.citation);
  });
  $("#viewer-body").replaceChildren(...[
    el("h2", { id: "viewer-title" }, doc.title),
    el("dl", { class: "meta" },
      fact("Issuer", doc.issuer || "not recorded", "issuer"),
      fact("Effective", doc.effective_date || "no date recorded", "effective"),
      fact("Status", doc.status || "not recorded", `status-${doc.status || "unknown"}`),
      fact("Type", doc.doc_type), fact("Last reviewed", doc.last_reviewed), fact("Policy number", doc.policy_number),
      fact("Document", el("code", {}, doc.id)),
      fact("Pages", section.pages.length ? section.pages.join(", ") : ""),
      doc.source ? [el("dt", {}, "Source"), el("dd", { class: "source" }, linked(doc.source))] : []),
    el("h3", { class: "section-name" }, section.name),
    el("div", { class: "section-text", tabindex: "0", "aria-label": "The section's text" }, body),
    citation && at < 0
      ? el("p", { class: "note" }, "The quote is not in this section of the current index (the document may have " +
        "changed since the answer): ", el("q", {}, citation.quote))
      : null,
    nav].filter(Boolean));
  const mark = $("#viewer-quote");
  const panel = $("#viewer");
  panel.scrollTop = mark ? Math.max(0, mark.offsetTop - panel.clientHeight / 3) : 0;
}

function startViewer() {
  $("#viewer-close").addEventListener("click", closeViewer);
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !$("#viewer").hidden) closeViewer();
  });
}
