// The documents page (/#documents): what the index holds (GET /v1/documents), each document's
// metadata and sections, a preview of a section's chunks as the index stores them (overlaps
// marked), and for maintainers upload with progress (POST /v1/documents) and retire (DELETE).
"use strict";

const library = { documents: [] };

async function showDocuments() {
  $("#doc-error").hidden = true;
  try {
    library.documents = (await getJSON("/v1/documents")).documents;
    listDocuments();
  } catch (error) {
    documentError(error);
  }
}

function documentError(error) {
  $("#doc-error").textContent = errorText(error);
  $("#doc-error").hidden = false;
}

function plural(n, noun) {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

function uploadStatus(...text) {
  $("#upload-status").replaceChildren(...text);
}

function listDocuments() {
  const wanted = $("#doc-filter").value.trim().toLowerCase();
  const shown = library.documents.filter((d) => !wanted || `${d.id} ${d.title} ${d.issuer}`.toLowerCase().includes(wanted));
  $("#doc-count").textContent = `${shown.length} of ${library.documents.length} documents`;
  $("#doc-rows").replaceChildren(...shown.map((d) => el("tr", { "data-id": d.id },
    el("td", { class: "doc-title" }, el("button", { type: "button", class: "link show-document", "data-id": d.id }, d.title),
      " ", el("code", {}, d.id)),
    el("td", { "data-label": "Issuer" }, d.issuer || "—"),
    el("td", { "data-label": "Effective" }, d.effective_date || "—"),
    el("td", { "data-label": "Status", class: `doc-status doc-status-${d.status}` }, d.status || "—"),
    el("td", { "data-label": "Chunks" }, d.chunks),
    el("td", { class: "doc-actions" }, d.uploaded
      ? el("button", { type: "button", class: "secondary retire", "data-id": d.id }, "Retire")
      : el("span", { class: "hint", title: "Ingested from a folder: remove the file there and run `criterion ingest`" },
        "corpus")))));
}

async function showDocument(id) {
  try {
    const d = await getJSON(`/v1/documents/${documentPath(id)}`);
    const fact = (name, value) => value ? [el("dt", {}, name), el("dd", {}, value)] : [];
    $("#doc-detail").replaceChildren(
      el("h2", {}, d.title),
      el("dl", { class: "meta" }, fact("Document", el("code", {}, d.id)), fact("Issuer", d.issuer), fact("Type", d.doc_type),
        fact("Effective", d.effective_date), fact("Status", d.status), fact("Last reviewed", d.last_reviewed),
        fact("Pages", d.pages || ""), fact("SHA-256", d.sha256 ? el("code", {}, d.sha256.slice(0, 16)) : ""),
        fact("Source", d.source ? linked(d.source) : ""),
        fact("Warnings", (d.metadata_warnings || []).join("; "))),
      el("h3", {}, `Sections (${d.sections.length})`),
      el("ol", { class: "doc-sections" }, d.sections.map((s) => el("li", {},
        el("button", { type: "button", class: "link preview", "data-id": d.id, "data-section": s.name }, s.name || "(before the first heading)"),
        ` — ${plural(s.chunks, "chunk")}${s.pages.length ? `, p. ${s.pages.join(", ")}` : ""}`))),
      el("div", { id: "chunk-preview" }));
    $("#doc-detail").hidden = false;
    $("#doc-detail").scrollIntoView({ block: "start" });
  } catch (error) {
    documentError(error);
  }
}

// Each chunk of a section as the index stores it; the lines it repeats from the chunk before are marked
async function previewSection(id, name) {
  const box = $("#chunk-preview");
  box.replaceChildren(el("p", { class: "loading" }, "Loading the chunks…"));
  try {
    const section = await getJSON(`/v1/documents/${documentPath(id)}/section?name=${encodeURIComponent(name)}`);
    let before = 0;
    box.replaceChildren(el("h3", {}, `${section.name || "(before the first heading)"}: ${plural(section.chunks.length, "chunk")}`),
      ...section.chunks.map((c, i) => {
        const repeated = Math.min(Math.max(before - c.start, 0), c.end - c.start);
        before = Math.max(before, c.end);
        const pages = c.page_start ? ` · p. ${c.page_start}${c.page_end > c.page_start ? `–${c.page_end}` : ""}` : "";
        return el("div", { class: "chunk" },
          el("p", { class: "chunk-head" }, `Chunk ${i + 1} · `, el("code", {}, c.chunk_id), pages),
          el("div", { class: "chunk-text" },
            repeated ? el("span", { class: "overlap", title: "repeated from the chunk before" },
              section.text.slice(c.start, c.start + repeated)) : null,
            section.text.slice(c.start + repeated, c.end)));
      }));
  } catch (error) {
    box.replaceChildren(el("p", { class: "error" }, errorText(error)));
  }
}

function upload(event) {
  event.preventDefault();
  const file = $("#upload-file").files[0];
  if (!file) return;
  const body = new FormData();
  body.append("file", file);
  const xhr = new XMLHttpRequest();
  const bar = $("#upload-progress");
  xhr.open("POST", "/v1/documents");
  xhr.setRequestHeader("Accept", "application/json");
  const key = apiKey();
  if (key) xhr.setRequestHeader("Authorization", `Bearer ${key}`);
  bar.value = 0;
  bar.hidden = false;
  $("#upload-button").disabled = true;
  xhr.upload.addEventListener("progress", (e) => {
    if (!e.lengthComputable) return;
    bar.value = Math.round((100 * e.loaded) / e.total);
    uploadStatus(`Uploading ${file.name}: ${bar.value}%`);
  });
  xhr.upload.addEventListener("load", () => {
    bar.removeAttribute("value");  // indeterminate while the service checks and ingests it
    uploadStatus(`Uploaded ${file.name}; checking and ingesting it…`);
  });
  xhr.addEventListener("load", async () => {
    let reply = null;
    try { reply = JSON.parse(xhr.responseText); } catch { /* not JSON: reported by status below */ }
    if (xhr.status === 201 && reply) {
      uploadStatus(`${reply.outcome}: `, el("code", {}, reply.document.id), ` (${plural(reply.document.chunks, "chunk")})`);
      $("#upload-form").reset();
      await showDocuments();
      footer();
      showDocument(reply.document.id);
    } else {
      uploadStatus(el("span", { class: "error-text" },
        errorText((reply && reply.error) || { code: `http_${xhr.status}`, message: xhr.statusText })));
    }
  });
  xhr.addEventListener("error", () => uploadStatus(el("span", { class: "error-text" }, "the upload failed (network error)")));
  xhr.addEventListener("loadend", () => {
    bar.hidden = true;
    $("#upload-button").disabled = false;
  });
  xhr.send(body);
}

async function retire(id) {
  if (!window.confirm(`Retire ${id}? It leaves the index and is no longer cited.`)) return;
  const response = await fetch(`/v1/documents/${documentPath(id)}`, { method: "DELETE", headers: headers() });
  if (!response.ok) return documentError(await failure(response));
  uploadStatus("retired ", el("code", {}, id));
  $("#doc-detail").hidden = true;
  await showDocuments();
  footer();
}

function startDocuments() {
  $("#upload-form").addEventListener("submit", upload);
  $("#doc-filter").addEventListener("input", listDocuments);
  $("#documents-view").addEventListener("click", (e) => {
    const button = e.target.closest("button");
    if (!button) return;
    if (button.classList.contains("show-document")) showDocument(button.dataset.id);
    else if (button.classList.contains("retire")) retire(button.dataset.id);
    else if (button.classList.contains("preview")) previewSection(button.dataset.id, button.dataset.section);
  });
}
