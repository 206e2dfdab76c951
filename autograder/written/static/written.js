// The grading page: one question across the class. Every click is sent to the server at once
// (server.py), which writes it to the gradebook; the page only shows what the server answers.
"use strict";

const params = new URLSearchParams(location.search);
const token = params.get("token") || "";
const state = { question: null, data: null, at: 0, names: params.get("names") === "1" };

async function call(path, body) {
  const options = { headers: { "X-Token": token, "Content-Type": "application/json" } };
  if (body !== undefined) Object.assign(options, { method: "POST", body: JSON.stringify(body) });
  const response = await fetch(path, options);
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

function link(question, names) {
  const query = new URLSearchParams({ token, question });
  if (names) query.set("names", "1");
  return "/?" + query.toString();
}

async function load() {
  state.question = params.get("question");
  state.data = await call(`/api/questions/${state.question}` + (state.names ? "?names=1" : ""));
  const open = state.data.students.findIndex((s) => s.score === null);
  state.at = open >= 0 ? open : 0; // start at the first answer nobody has graded
  document.getElementById("names").checked = state.names;
  render();
}

function render() {
  const d = state.data;
  const nav = document.getElementById("questions");
  nav.replaceChildren(...d.questions.map((q) => {
    const a = document.createElement("a");
    a.href = link(q.id, state.names);
    a.textContent = q.title;
    if (q.id === d.question.id) a.className = "current";
    return a;
  }));
  document.getElementById("title").textContent = `${d.question.title} (${d.question.points} points)`;
  showProgress();
  showStudent();
}

function showProgress() {
  const d = state.data;
  document.getElementById("progress").textContent = `${d.graded} of ${d.total} graded`;
}

function current() {
  return state.data.students[state.at];
}

function showStudent() {
  const s = current();
  if (!s) return;
  const who = `Student ${s.number} of ${state.data.total}` + (s.name ? ` (${s.name})` : "");
  document.getElementById("who").textContent = who;
  const answer = document.getElementById("answer");
  answer.innerHTML = s.html; // cleaned by the server (answers.py); the page's policy runs no script in it
  if (window.MathJax && MathJax.Hub) MathJax.Hub.Queue(["Typeset", MathJax.Hub, answer]);
  document.getElementById("comment").value = s.comment || "";
  showGrade();
}

function showGrade() {
  const s = current();
  const full = state.data.question.points;
  document.getElementById("score").textContent =
    s.score === null ? "not graded yet" : `score: ${s.score} / ${full}`;
  const items = document.getElementById("items");
  items.replaceChildren(...state.data.rubric.map((item, i) => {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.item = item.id;
    button.textContent = item.label;
    button.className = s.items.includes(item.id) ? "applied" : "";
    button.setAttribute("aria-pressed", s.items.includes(item.id) ? "true" : "false");
    button.title = i < 9 ? `key ${i + 1}` : "";
    button.addEventListener("click", () => toggle(item.id));
    li.append(button);
    return li;
  }));
}

function saved(text, error) {
  const el = document.getElementById("saved");
  el.textContent = text;
  el.className = error ? "error" : "";
}

async function send(path, body) {
  saved("saving\u2026");
  try {
    const d = await call(path, body);
    const s = state.data.students.find((x) => x.key === d.student.key);
    Object.assign(s, d.student, { name: s.name, number: s.number }); // this page's numbering stays
    state.data.graded = d.graded;
    state.data.total = d.total;
    showProgress();
    if (s === current()) showGrade();
    saved(`saved (student ${s.number})`);
  } catch (e) {
    saved("not saved: " + e.message, true);
  }
}

function toggle(itemId) {
  const s = current();
  return send(`/api/questions/${state.question}/items`, { key: s.key, item: itemId, on: !s.items.includes(itemId) });
}

function saveComment() {
  const s = current();
  const text = document.getElementById("comment").value;
  if (text.trim() === (s.comment || "").trim()) return;
  return send(`/api/questions/${state.question}/comment`, { key: s.key, comment: text });
}

async function go(step) {
  await saveComment();
  const n = state.data.students.length;
  state.at = Math.min(n - 1, Math.max(0, state.at + step));
  showStudent();
}

async function nextOpen() {
  await saveComment();
  const list = state.data.students;
  for (let k = 1; k <= list.length; k++) {
    const i = (state.at + k) % list.length;
    if (list[i].score === null) { state.at = i; showStudent(); return; }
  }
  saved("every answer is graded");
}

document.addEventListener("keydown", (event) => {
  if (event.target.tagName === "TEXTAREA" || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.key === "n" || event.key === "ArrowRight") go(1);
  else if (event.key === "p" || event.key === "ArrowLeft") go(-1);
  else if (/^[1-9]$/.test(event.key)) {
    const item = state.data.rubric[Number(event.key) - 1];
    if (item) toggle(item.id);
  } else return;
  event.preventDefault();
});
document.getElementById("prev").addEventListener("click", () => go(-1));
document.getElementById("next").addEventListener("click", () => go(1));
document.getElementById("next-open").addEventListener("click", nextOpen);
document.getElementById("comment").addEventListener("change", saveComment);
document.getElementById("names").addEventListener("change", (e) => {
  location.href = link(state.question, e.target.checked);
});
load().catch((e) => saved("could not load: " + e.message, true));
