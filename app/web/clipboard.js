// The Copy button: the answer as plain text that is also Markdown — question, patient, plan and
// date of service (when given), verdict, whose policy decided, summary, criteria, checks, missing information, statements, then the numbered references with
// their quotes, and the answer's permalink — put on the clipboard (navigator.clipboard, or the
// older copy command where the page is not a secure context); if neither works, the text is
// shown selected for the reviewer to copy by hand.
"use strict";

const COPY_STATUS = { met: "met", not_met: "NOT met", not_documented: "not documented", not_applicable: "n/a" };

function answerText(answer, asked) {
  const marks = (ids) => (ids || []).map((id) => `[${id}]`).join("");
  const cited = (text, ids) => [text, marks(ids)].filter(Boolean).join(" ");
  const out = [`**Question:** ${answer.question || asked.question}`];
  if (asked.patient) out.push(`**Patient:** ${asked.patient}`);
  if (asked.payer) out.push(`**Plan:** ${asked.payer}`);
  if (asked.as_of) out.push(`**Date of service:** ${asked.as_of}`);
  out.push("", `**Verdict: ${VERDICTS[answer.verdict] || answer.verdict}**${answer.reason ? ` (${answer.reason})` : ""}`);
  if (answer.decided_under) {
    const under = decidedUnderText(answer.decided_under);
    const id = answer.decided_under.document_id;
    out.push("", `**Decided under:** ${under.document}${id ? ` (${id})` : ""}`);
    if (under.plan) out.push(`${under.warn ? "⚠ " : ""}**Plan:** ${under.plan}`);
    if (under.date) out.push(`**Date of service:** ${under.date}`);
  }
  out.push("", answer.summary || "");
  const list = (title, lines) => { if (lines.length) out.push("", `### ${title}`, ...lines); };
  list("Criteria", (answer.criteria || []).map((c) =>
    `- ${COPY_STATUS[c.status] || c.status}: ${cited(c.text, c.citations)}${c.detail ? ` — ${c.detail}` : ""}`));
  list("Dose and schedule checks", (answer.numeric_checks || []).map((n) => {
    const within = n.within_limit === null ? "unclear" : n.within_limit ? "within" : "outside";
    return `- ${n.quantity}: ${n.requested}; limit: ${n.limit} — ${within} ${marks(n.citations)}`.trimEnd();
  }));
  list("Missing information", (answer.missing_information || []).map((m) => `- ${m}`));
  for (const [name, statements] of Object.entries(answer.sections || {})) {
    list(name, statements.map((s) => `- ${cited(s.text, s.citations)}`));
  }
  list("References", (answer.citations || []).map((c) => {
    const where = [c.section, c.page ? `p. ${c.page}` : "", c.issuer, c.effective_date ? `effective ${c.effective_date}` : ""]
      .filter(Boolean).join(", ");
    return `[${c.id}] ${c.title} (${c.document_id})${where ? ` — ${where}` : ""}: “${c.quote}”`;
  }));
  out.push("", `Permalink: ${location.origin}${location.pathname}${location.hash}`,
    "Decision support only: every statement quotes its source; verify against it.");
  return out.join("\n").replace(/\n{3,}/g, "\n\n") + "\n";
}

async function copyAnswer() {
  const text = answerText(state.answer, state.asked);
  let copied = false;
  try {
    await navigator.clipboard.writeText(text);
    copied = true;
  } catch {
    copied = copyByCommand(text);  // no clipboard API (plain http) or no permission
  }
  if (copied) {
    $("#copy-out").replaceChildren("Copied");
    return;
  }
  const box = el("textarea", { id: "copy-text", rows: 8, readonly: true, "aria-label": "The answer as text" }, text);
  $("#copy-out").replaceChildren("Select and copy the text below:", box);
  box.select();
}

function copyByCommand(text) {
  const scratch = el("textarea", { "aria-hidden": "true", class: "offscreen" }, text);
  document.body.append(scratch);
  scratch.select();
  try {
    return document.execCommand("copy");
  } catch {
    return false;
  } finally {
    scratch.remove();
  }
}
