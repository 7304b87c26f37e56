// The Run tab: one program in a fresh sandbox (POST /v1/runs), its
// output as it comes (the run's event stream), then its record.

import { EditorView, basicSetup } from "codemirror";
import { python } from "@codemirror/lang-python";
import { api, readEvents } from "./api.js";

// What the editor holds when a profile is picked, so that Run works at
// once.  A profile not listed starts empty.
const SAMPLES = {
  python: 'print("hello from the sandbox")',
  sh: 'echo "hello from the sandbox"',
  node: 'console.log("hello from the sandbox");',
  perl: 'print "hello from the sandbox\\n";',
  c: '#include <stdio.h>\n\nint main(void)\n{\n\tputs("hello from the sandbox");\n\treturn 0;\n}\n',
  java: 'public class Main {\n    public static void main(String[] args) {\n' +
        '        System.out.println("hello from the sandbox");\n    }\n}\n',
};

// A profile with a compile stage reads its source from a file under
// /tmp, the one its compile command names (profiles/c.conf,
// profiles/java.conf); the program's stdin is then the textarea's.
// A profile without one reads its program from stdin.
const SOURCE_FILES = {
  c: "main.c",
  java: "Main.java",
};

const $ = (id) => document.getElementById(id);

function element(tag, attributes = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attributes))
    e.setAttribute(k, v);
  e.append(...children);
  return e;
}

function seconds(n) {
  return typeof n === "number" ? `${n.toFixed(3)} s` : "-";
}

function bytes(n) {
  if (typeof n !== "number")
    return "-";
  if (n < 1024)
    return `${n} B`;
  if (n < 1 << 20)
    return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1 << 20)).toFixed(1)} MiB`;
}

// One output pane: the pieces of a stream are bytes (utf8 text or
// base64), decoded by one streaming decoder, so a character cut between
// two pieces comes out whole.
class Pane {
  constructor(element) {
    this.element = element;
    this.clear();
  }

  clear() {
    this.element.textContent = "";
    this.decoder = new TextDecoder();
  }

  append(piece) {
    let data;
    if (piece.encoding === "base64")
      data = Uint8Array.from(atob(piece.data), (c) => c.charCodeAt(0));
    else
      data = new TextEncoder().encode(piece.data);
    this.write(this.decoder.decode(data, { stream: true }));
  }

  finish() {
    this.write(this.decoder.decode());
  }

  write(text) {
    if (text)
      this.element.append(document.createTextNode(text));
  }
}

// The figures of a record (docs/record.md) as [label, text] rows.
function figures(r) {
  const rows = [["wall time", seconds(r.wall_seconds)]];
  if (r.cpu) {
    const user = r.cpu.user_seconds ?? 0;
    const system = r.cpu.system_seconds ?? 0;
    rows.push(["CPU time", `${seconds(user + system)} (user ${user.toFixed(3)}, system ${system.toFixed(3)})`]);
  }
  rows.push(["peak memory", r.memory ? bytes(r.memory.peak_bytes) : "not measured (no memory cgroup)"]);
  if (r.exit_code !== null && r.exit_code !== undefined)
    rows.push(["exit code", String(r.exit_code)]);
  if (r.signal !== null && r.signal !== undefined)
    rows.push(["signal", r.signal_name ? `${r.signal} (${r.signal_name})` : String(r.signal)]);
  if (r.tasks)
    rows.push(["tasks", `peak ${r.tasks.peak}, ${r.tasks.refused_forks} forks refused`]);
  if (r.limit_fired)
    rows.push(["limit fired", r.limit_fired]);
  if (r.output && r.output.cut)
    rows.push(["output", "cut at the output limit"]);
  if (r.error)
    rows.push(["error", `${r.error.step}: ${r.error.message}`]);
  return rows;
}

function deniedList(r) {
  const list = element("ul", { id: "denied", "aria-labelledby": "denied-label" });
  for (const d of r.denied || []) {
    const count = d.count > 1 ? ` \u00d7${d.count}` : "";
    const errno = d.errno ? ` \u2192 ${d.errno}` : "";
    list.append(element("li", {}, element("code", {}, String(d.syscall)), `${count}${errno}`));
  }
  if (!list.childElementCount)
    list.append(element("li", { class: "note" }, "none"));
  return list;
}

export function setupRun() {
  const select = $("profile");
  const stdin = $("stdin");
  const runButton = $("run");
  const cancelButton = $("cancel");
  const verdict = $("verdict");
  const panes = { stdout: new Pane($("stdout")), stderr: new Pane($("stderr")),
                  compile: new Pane($("compile")) };
  let profiles = new Map();
  let current = null; // the run under way: {id, abort}
  let shownSample = SAMPLES.python;

  // The editor is made anew when the language changes: the packages
  // the page has (codemirror, @codemirror/lang-python) reconfigure no
  // other way, and a profile is rarely switched.
  let view = null;
  let language = null;
  function editor(doc, name) {
    const wanted = name === "python" ? "python" : "plain";
    if (view && wanted === language)
      return;
    if (view)
      view.destroy();
    language = wanted;
    view = new EditorView({
      doc,
      parent: $("editor"),
      extensions: [
        basicSetup,
        wanted === "python" ? python() : [],
        EditorView.contentAttributes.of({ "aria-label": "program" }),
      ],
    });
  }
  editor(SAMPLES.python, "python");

  const code = () => view.state.doc.toString();

  function setCode(text) {
    view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
  }

  function profile() {
    return profiles.get(select.value);
  }

  function showState(text) {
    $("run-state").textContent = text;
  }

  function showError(e) {
    verdict.replaceChildren(element("p", { id: "verdict-error" },
                                    e.describe ? e.describe() : String(e)));
    verdict.dataset.state = "error";
  }

  function showRecord(answer) {
    const name = element("strong", { id: "verdict-name" }, String(answer.verdict));
    const head = element("p", {}, "verdict ", name);
    if (answer.stage === "compile")
      head.append(element("span", { class: "note" }, " the compiler failed: the program did not run"));
    const list = element("dl", { id: "figures" });
    for (const [label, text] of figures(answer))
      list.append(element("dt", {}, label), element("dd", {}, text));
    if (answer.compile && answer.stage !== "compile")
      list.append(element("dt", {}, "compile stage"),
                  element("dd", {}, `${answer.compile.verdict}, ${seconds(answer.compile.wall_seconds)}`));
    verdict.replaceChildren(head, list,
                            element("h3", { id: "denied-label" }, "denied calls"), deniedList(answer));
    verdict.dataset.state = answer.verdict === "ok" ? "ok" : "failed";
  }

  function pick() {
    const p = profile();
    if (!p)
      return;
    if (code() === shownSample || code() === "") {
      shownSample = SAMPLES[p.name] || "";
      setCode(shownSample);
    }
    editor(code(), p.name);
    const compiled = Boolean(p.compile);
    stdin.disabled = !compiled;
    $("stdin-note").textContent = compiled
      ? `the program is /tmp/${SOURCE_FILES[p.name] || "?"}, compiled first; this is its stdin`
      : `profile ${p.name} reads its program from stdin: the editor's text is sent as stdin`;
    $("profile-note").textContent = p.description || "";
    $("compile").hidden = !compiled;
    $("compile-label").hidden = !compiled;
  }

  async function loadProfiles() {
    select.disabled = true;
    runButton.disabled = true;
    try {
      const answer = await api("GET", "/v1/profiles");
      profiles = new Map(answer.profiles.map((p) => [p.name, p]));
      const previous = select.value;
      select.replaceChildren(...answer.profiles.map(
        (p) => element("option", { value: p.name, title: p.description || "" }, p.name)));
      if (profiles.has(previous))
        select.value = previous;
      else if (profiles.has("python"))
        select.value = "python";
      select.disabled = false;
      runButton.disabled = current !== null;
      pick();
    } catch (e) {
      select.replaceChildren(element("option", {}, "no profiles"));
      showError(e);
    }
  }

  function request(p) {
    const body = { profile: p.name };
    if (!p.compile) {
      body.stdin = code();
      return body;
    }
    const path = SOURCE_FILES[p.name];
    if (!path)
      throw new Error(`this page does not know which file profile ${p.name} compiles`);
    body.files = [{ path, content: code() }];
    body.stdin = stdin.value;
    return body;
  }

  async function run() {
    const p = profile();
    if (!p || current)
      return;
    for (const pane of Object.values(panes))
      pane.clear();
    verdict.replaceChildren(element("p", { class: "note" }, "running..."));
    delete verdict.dataset.state;
    runButton.disabled = true;
    const run = { id: null, abort: new AbortController() };
    current = run;
    try {
      const started = await api("POST", "/v1/runs?wait=false", request(p));
      run.id = started.id;
      cancelButton.disabled = false;
      showState(`run ${started.id}: ${started.status}`);
      const path = `/v1/runs/${encodeURIComponent(started.id)}`;
      let answer = null;
      await readEvents(`${path}/events`, (name, data) => {
        if (name in panes)
          panes[name].append(JSON.parse(data));
        else if (name === "record")
          answer = JSON.parse(data);
      }, run.abort.signal);
      for (const pane of Object.values(panes))
        pane.finish();
      // A stream cut short (a proxy, the network): the run's own answer.
      if (!answer) {
        answer = await api("GET", path);
        if (answer.status !== "done")
          throw new Error(`the event stream ended before the run's record (run ${answer.status})`);
      }
      showRecord(answer);
      showState(`run ${started.id}: done`);
    } catch (e) {
      showError(e);
      showState("");
    } finally {
      current = null;
      cancelButton.disabled = true;
      runButton.disabled = select.disabled;
    }
  }

  async function cancel() {
    if (!current || !current.id)
      return;
    cancelButton.disabled = true;
    showState(`run ${current.id}: cancelling`);
    try {
      // The stream goes on to the record, whose verdict is cancelled.
      await api("DELETE", `/v1/runs/${encodeURIComponent(current.id)}`);
    } catch (e) {
      showError(e);
    }
  }

  select.addEventListener("change", pick);
  runButton.addEventListener("click", run);
  cancelButton.addEventListener("click", cancel);
  // Ctrl+Enter in the editor or stdin runs, as in most playgrounds.
  $("panel-run").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && !runButton.disabled) {
      e.preventDefault();
      run();
    }
  });
  loadProfiles();

  return { setCode, reload: loadProfiles };
}
