// The playground of `stockade serve`: the token, the two tabs, and the
// hooks the browser test reads (tests/web/playground.mjs).

import "@xterm/xterm/css/xterm.css";
import "./app.css";
import { setToken, token } from "./api.js";
import { setupRun } from "./run.js";
import { setupShell } from "./shell.js";

const $ = (id) => document.getElementById(id);

const run = setupRun();
const shell = setupShell();

const tokenField = $("token");
tokenField.value = token();
tokenField.addEventListener("input", () => setToken(tokenField.value));
// A new token may see other profiles (or any at all, after a 401).
tokenField.addEventListener("change", () => run.reload());

const tabs = [
  { button: $("tab-run"), panel: $("panel-run"), shown() {} },
  { button: $("tab-shell"), panel: $("panel-shell"), shown: () => shell.shown() },
];

function select(tab) {
  for (const t of tabs) {
    const on = t === tab;
    t.button.setAttribute("aria-selected", String(on));
    t.button.tabIndex = on ? 0 : -1;
    t.panel.hidden = !on;
  }
  tab.shown();
}

tabs.forEach((tab, i) => {
  tab.button.addEventListener("click", () => select(tab));
  // The arrow keys move between tabs (WAI-ARIA's tabs pattern).
  tab.button.addEventListener("keydown", (e) => {
    const step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
    if (!step)
      return;
    const next = tabs[(i + step + tabs.length) % tabs.length];
    next.button.focus();
    select(next);
  });
});

window.playground = {
  setCode: run.setCode,
  terminalText: shell.text,
};
