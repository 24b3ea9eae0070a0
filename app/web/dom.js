// What every part of the page shares: building elements (text from the server is only ever
// inserted as text, never as HTML), the API key, and the service's one error shape.
"use strict";

const $ = (selector) => document.querySelector(selector);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === "") continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function apiKey() {
  const key = $("#api-key").value.trim();
  if (key) sessionStorage.setItem("criterion-key", key);
  return key;
}

function headers(extra) {
  const h = { "Content-Type": "application/json", Accept: "application/json", ...(extra || {}) };
  const key = apiKey();
  if (key) h.Authorization = `Bearer ${key}`;
  return h;
}

async function failure(response) {
  try {
    return (await response.json()).error;
  } catch {
    return { code: `http_${response.status}`, message: response.statusText };
  }
}

// GET a JSON resource of the API; throws the service's {code, message} on an error status
async function getJSON(path) {
  const response = await fetch(path, { headers: headers() });
  if (!response.ok) throw await failure(response);
  return response.json();
}

function errorText(error) {
  return `${error.code || "error"}: ${error.message || String(error)}`;
}

// A document id in a URL path: each segment encoded, its slashes kept ("uploads/my policy" → "uploads/my%20policy")
function documentPath(id) {
  return String(id).split("/").map(encodeURIComponent).join("/");
}

// A source as text, its web addresses (and DOIs) as links that open outside the page
function linked(text) {
  const parts = String(text || "").split(/(https?:\/\/[^\s;,<>"]+[^\s;,.<>")]|doi:\s?10\.\d{4,9}\/[^\s;,<>"]+[^\s;,.<>")])/i);
  return parts.map((part, i) => {
    if (!(i % 2)) return part;
    const href = /^doi:/i.test(part) ? `https://doi.org/${part.replace(/^doi:\s?/i, "")}` : part;
    return el("a", { href, target: "_blank", rel: "noopener noreferrer" }, part);
  });
}
