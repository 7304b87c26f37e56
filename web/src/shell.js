// The Shell tab: a session (POST /v1/sessions) and a terminal on it,
// python3 on a pseudo-terminal in the session's sandbox, over the
// WebSocket of /v1/sessions/{id}/pty.

import { Terminal } from "@xterm/xterm";
import { FitAddon } from "@xterm/addon-fit";
import { api, apiKeepalive, token } from "./api.js";

const $ = (id) => document.getElementById(id);
const encoder = new TextEncoder();

function sessionPath(id) {
  return `/v1/sessions/${encodeURIComponent(id)}`;
}

export function setupShell() {
  const container = $("terminal");
  const info = $("session-info");
  let term = null;
  let fit = null;
  let session = null; // the session object of the service
  let socket = null;
  let terminalState = "";
  let starting = false;

  function showInfo(text) {
    if (text !== undefined) {
      info.textContent = text;
      return;
    }
    if (!session) {
      info.textContent = "no session";
      return;
    }
    let state = session.state;
    if (state === "ended" && session.ended_by)
      state += ` (${session.ended_by})`;
    const parts = [`session ${session.id}`, `state ${state}`];
    if (terminalState)
      parts.push(`terminal ${terminalState}`);
    info.textContent = parts.join(" \u00b7 ");
  }

  function visible() {
    return container.offsetParent !== null;
  }

  function send(data) {
    if (socket && socket.readyState === WebSocket.OPEN)
      socket.send(data);
  }

  function sendResize(cols, rows) {
    send(JSON.stringify({ type: "resize", cols, rows }));
  }

  function refit() {
    // A hidden terminal measures 0 by 0: it is fitted when shown.
    if (term && visible())
      fit.fit();
  }

  function makeTerminal() {
    term = new Terminal({
      cursorBlink: true,
      fontFamily: "ui-monospace, 'DejaVu Sans Mono', 'Liberation Mono', monospace",
      fontSize: 14,
      scrollback: 5000,
    });
    fit = new FitAddon();
    term.loadAddon(fit);
    term.open(container);
    refit();
    // Input is bytes, always in binary messages: a text message that
    // begins with "{" would be taken for a control message.
    term.onData((data) => send(encoder.encode(data)));
    term.onBinary((data) => send(Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff)));
    term.onResize(({ cols, rows }) => sendResize(cols, rows));
    window.addEventListener("resize", refit);
  }

  function control(text) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (message && message.type === "exit")
      term.write(`\r\n[the program ended: status ${message.status}]\r\n`);
  }

  function connect(id) {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    let url = `${scheme}//${location.host}${sessionPath(id)}/pty`;
    // A browser's WebSocket cannot send an Authorization header.
    if (token())
      url += `?access_token=${encodeURIComponent(token())}`;
    const ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    socket = ws;
    terminalState = "connecting";
    showInfo();
    ws.addEventListener("open", () => {
      terminalState = "open";
      showInfo();
      refit();
      sendResize(term.cols, term.rows);
      term.focus();
    });
    ws.addEventListener("message", (event) => {
      if (typeof event.data === "string")
        control(event.data);
      else
        term.write(new Uint8Array(event.data));
    });
    ws.addEventListener("close", async (event) => {
      if (socket !== ws)
        return;
      socket = null;
      terminalState = `closed (${event.code}${event.reason ? `: ${event.reason}` : ""})`;
      try {
        session = await api("GET", sessionPath(id));
      } catch {
        // the session is gone (404) or the service is: the state it had
      }
      showInfo();
    });
  }

  function end() {
    if (socket) {
      const ws = socket;
      socket = null;
      ws.close(1000);
    }
    if (session && session.state !== "ended")
      api("DELETE", sessionPath(session.id)).catch(() => {});
    session = null;
    terminalState = "";
  }

  async function start() {
    if (starting)
      return;
    starting = true;
    end();
    if (!term)
      makeTerminal();
    term.reset();
    showInfo("starting a session...");
    try {
      session = await api("POST", "/v1/sessions", { profile: "python" });
      showInfo();
      if (session.state === "ended")
        term.write(`[the session could not start: ${session.ended_by || "ended"}]\r\n`);
      else
        connect(session.id);
    } catch (e) {
      showInfo(`no session: ${e.describe ? e.describe() : e}`);
    } finally {
      starting = false;
    }
  }

  // A session kept by nobody would hold its sandbox until its idle
  // timeout: the page ends its own when it goes.
  window.addEventListener("pagehide", () => {
    if (session && session.state !== "ended")
      apiKeepalive("DELETE", sessionPath(session.id));
  });

  $("new-session").addEventListener("click", start);

  return {
    // The tab was shown: the first time, a session starts.
    shown() {
      if (!term)
        start();
      else
        refit();
    },
    text() {
      if (!term)
        return "";
      const buffer = term.buffer.active;
      const lines = [];
      for (let i = 0; i < buffer.length; i++)
        lines.push(buffer.getLine(i).translateToString(true));
      return lines.join("\n").replace(/\n+$/, "");
    },
  };
}
