// Drives the playground in a headless Chromium, as a person would, and
// prints one JSON line of what the page showed; tests/web/
// test_playground.py asserts on it.
//
//   node tests/web/playground.mjs URL OUTDIR [run|shell|run,shell]
//
// run:   types a program into the editor, clicks Run, reads stdout and
//        the verdict; then a fork bomb, and its verdict.
// shell: opens the Shell tab, waits for python's prompt, types two
//        lines, waits for their answer; then leaves the page, which
//        ends its session.
// Screenshots go to OUTDIR (playground-run.png, playground-shell.png).
// Every wait gives up after 30 s; then the line has "error" and what
// the page showed ("page"), and the exit status is 1.
import { createRequire } from "node:module";
import { join } from "node:path";

// playwright-core is web/'s dependency (web/package.json), not this
// directory's.
const require = createRequire(new URL("../../web/package.json", import.meta.url));
const { chromium } = require("playwright-core");

const TIMEOUT = 30_000;
const FORK_BOMB = "import os\nwhile True:\n    os.fork()\n";

const [url, outDir, partsArg = "run,shell"] = process.argv.slice(2);
if (!url || !outDir) {
  console.error("usage: node playground.mjs URL OUTDIR [run|shell|run,shell]");
  process.exit(2);
}
const parts = new Set(partsArg.split(","));

async function waitFor(page, what, predicate, arg) {
  try {
    await page.waitForFunction(predicate, arg, { timeout: TIMEOUT, polling: 100 });
  } catch (e) {
    throw new Error(`waiting for ${what}: ${e.message.split("\n")[0]}`);
  }
}

// What the page shows, for a failure's report.
function shown(page) {
  return page.evaluate(() => {
    const text = (id) => document.getElementById(id)?.textContent ?? null;
    return {
      verdict: text("verdict"),
      stdout: text("stdout"),
      stderr: text("stderr"),
      runState: text("run-state"),
      profile: document.getElementById("profile")?.value ?? null,
      code: document.querySelector(".cm-content")?.innerText ?? null,
      sessionInfo: text("session-info"),
      terminal: window.playground ? window.playground.terminalText() : null,
    };
  });
}

function verdictShown() {
  const name = document.getElementById("verdict-name");
  return (name && name.textContent !== "") ||
         document.getElementById("verdict").dataset.state === "error";
}

async function runProgram(page) {
  await page.click("#run");
  await waitFor(page, "the verdict", verdictShown);
  return page.evaluate(() => ({
    verdict: document.getElementById("verdict-name")?.textContent ?? null,
    verdictText: document.getElementById("verdict").textContent,
    figures: document.getElementById("figures")?.innerText ?? null,
    denied: document.getElementById("denied")?.innerText ?? null,
    stdout: document.getElementById("stdout").textContent,
    stderr: document.getElementById("stderr").textContent,
  }));
}

async function run(page, result) {
  // Typed as a person would: the editor's own keymap (closing brackets
  // included) must leave exactly this program.
  await page.click(".cm-content");
  await page.keyboard.press("Control+A");
  await page.keyboard.type("print(6*7)");
  result.code = await page.evaluate(() => document.querySelector(".cm-content").innerText);
  result.run = await runProgram(page);
  await page.screenshot({ path: join(outDir, "playground-run.png") });

  // Typed, the editor's auto-indent would add its own spaces to the
  // loop's body: the text is set through the editor instead, and the
  // run starts from the Run button all the same.
  await page.evaluate((code) => window.playground.setCode(code), FORK_BOMB);
  result.forkBomb = await runProgram(page);
}

// python3 prints ">>> " and waits for a line: the last line that is not
// blank begins with the prompt.
function promptShown() {
  const lines = window.playground.terminalText().split("\n").filter((l) => l.trim() !== "");
  return lines.length > 0 && lines[lines.length - 1].startsWith(">>>");
}

async function shell(page, result) {
  await page.click("#tab-shell");
  await waitFor(page, "python's prompt in the terminal", promptShown);
  await page.click("#terminal");
  await page.keyboard.type("x = 6*7");
  await page.keyboard.press("Enter");
  await page.keyboard.type("x");
  await page.keyboard.press("Enter");
  await waitFor(page, "a line 42 in the terminal",
                () => window.playground.terminalText().split("\n").some((l) => l.trim() === "42"));
  await waitFor(page, "the prompt after 42", promptShown);
  result.shell = await page.evaluate(() => ({
    terminal: window.playground.terminalText(),
    sessionInfo: document.getElementById("session-info").textContent,
  }));
  await page.screenshot({ path: join(outDir, "playground-shell.png") });
  // Leaving the page ends its session (a DELETE on pagehide): the test
  // asks the service that it did.
  await page.goto("about:blank");
}

const result = { console: [], pageErrors: [] };
let status = 0;
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  // The tests run as root, where Chromium's own sandbox cannot start;
  // the rest keep it from calling out (updates, sync, QUIC probes) on a
  // machine whose network is closed.
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  headless: true,
});
let page = null;
try {
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(TIMEOUT);
  page.on("console", (m) => {
    // The service has no favicon; Chromium asks for one all the same.
    if (m.type() === "error" && !m.location().url.endsWith("/favicon.ico"))
      result.console.push(m.text());
  });
  page.on("pageerror", (e) => result.pageErrors.push(String(e)));
  await page.goto(url);
  await waitFor(page, "the profile list", () => !document.getElementById("profile").disabled ||
                document.getElementById("verdict").dataset.state === "error");
  result.profiles = await page.$$eval("#profile option", (os) => os.map((o) => o.value));
  result.profile = await page.inputValue("#profile");
  if (parts.has("run"))
    await run(page, result);
  if (parts.has("shell"))
    await shell(page, result);
} catch (e) {
  status = 1;
  result.error = e.message;
  if (page)
    result.page = await shown(page).catch((e2) => `could not read the page: ${e2.message}`);
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
process.exitCode = status;
