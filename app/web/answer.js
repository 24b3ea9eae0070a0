// The determination as the page shows it: verdict, whose policy and which version decided it,
// summary, criteria, checks, missing information (the printed summary page), then the evidence — sections with citation markers and the
// references with their quotes. A marker highlights its reference and opens the source viewer
// (viewer.js) on the section it quotes; Print, Copy (clipboard.js) and Letter (POST /v1/determinations)
// sit above it.
"use strict";

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
    answer.decided_under ? decidedUnder(answer.decided_under) : null,
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

// Whose document and which version decided (answer.decided_under), in words the page and the
// Copy text share: the document, the plan named and whether its own policy decided (a warning
// when the corpus has none of it), the date of service
function decidedUnderText(under) {
  const plan = under.plan_named;
  return {
    document: under.document_id
      ? [under.title || under.document_id, under.issuer, under.effective_date ? `effective ${under.effective_date}` : "",
        under.status].filter(Boolean).join(" · ")
      : "no document decided this answer",
    plan: !plan ? "" : under.plan_in_corpus === true ? `${plan} — its own policy decided`
      : under.plan_in_corpus === false ? `${plan} — the corpus holds no policy from ${plan}: these are not ${plan}'s criteria`
        : plan,
    warn: under.plan_in_corpus === false,
    date: under.as_of ? `${under.as_of} — the versions in force on that date` : "",
  };
}

function decidedUnder(under) {
  const text = decidedUnderText(under);
  const status = under.status ? el("span", { class: `status-${under.status}` }, under.status) : null;
  return el("div", { class: `decided-under${text.warn ? " warn" : ""}` },
    el("p", { class: "document" }, el("strong", {}, "Decided under: "),
      under.document_id
        ? [under.title || under.document_id, " ", el("code", {}, under.document_id),
          [under.issuer, under.effective_date ? `effective ${under.effective_date}` : ""].filter(Boolean)
            .map((part) => ` · ${part}`).join(""), status ? " · " : "", status]
        : text.document),
    text.plan ? el("p", { class: `plan${text.warn ? " plan-missing" : ""}`, role: text.warn ? "alert" : null },
      text.warn ? "⚠ " : "", el("strong", {}, "Plan: "), text.plan) : null,
    text.date ? el("p", { class: "as-of" }, el("strong", {}, "Date of service: "), text.date) : null);
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
    el("button", { type: "button", class: "secondary", id: "copy",
      title: "Copy the answer as text (Markdown) with its numbered references and its link" }, "Copy"),
    el("span", { id: "copy-out", role: "status" }),
    el("button", { type: "button", class: "secondary", id: "letter",
      title: "The determination as a letter (PDF), from POST /v1/determinations" }, "Letter (PDF)"),
    el("span", { id: "letter-out", role: "status" }),
    el("button", { type: "button", class: "secondary", id: "feedback-up", title: "This answer is right" }, "👍"),
    el("button", { type: "button", class: "secondary", id: "feedback-down", title: "This answer is wrong" }, "👎"),
    el("span", { id: "feedback-out", role: "status" }),
    el("form", { id: "feedback-form", hidden: true },
      el("label", { for: "feedback-comment" }, "What is wrong with this answer?"),
      el("textarea", { id: "feedback-comment", rows: 3, maxlength: 4000 }),
      el("label", { for: "feedback-expected" }, "The verdict it should have given"),
      el("select", { id: "feedback-expected" }, el("option", { value: "" }, "(not sure)"),
        ...Object.keys(VERDICTS).map((v) => el("option", { value: v }, v.replace("_", " ")))),
      el("button", { type: "submit", id: "feedback-send" }, "Send feedback")));
}

// A thumbs up, or a thumbs down with a comment (and the verdict it should have been): stored by
// POST /v1/feedback, for `criterion feedback export` to turn into draft eval cases
async function feedback(rating) {
  const answer = state.answer || {};
  const expected = rating === "down" ? $("#feedback-expected").value : "";
  const body = {
    question: state.asked.question, patient: state.asked.patient || null, answer_verdict: answer.verdict, rating,
    comment: rating === "down" ? $("#feedback-comment").value : "",
    cited_documents: [...new Set((answer.citations || []).map((c) => c.document_id))].slice(0, 50),
  };
  if (expected) body.expected_verdict = expected;
  try {
    const response = await fetch("/v1/feedback", { method: "POST", headers: headers(), body: JSON.stringify(body) });
    if (!response.ok) throw await failure(response);
    $("#feedback-form").hidden = true;
    $("#feedback-out").replaceChildren(`Thanks: feedback ${(await response.json()).id} stored`);
  } catch (error) {
    $("#feedback-out").replaceChildren(el("span", { class: "error-text" }, errorText(error)));
  }
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
      // the plan and date of service the answer was given under, when there were any
      body: JSON.stringify({ question: state.asked.question, patient: state.asked.patient || null, format: "pdf",
        ...Object.fromEntries(["payer", "as_of"].filter((k) => state.asked[k]).map((k) => [k, state.asked[k]])) }),
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
