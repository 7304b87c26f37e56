// The service's HTTP API as the page uses it (docs/api.md): JSON
// requests with the token, its error objects, and its event streams.

const TOKEN_KEY = "stockade.token";

export function token() {
  return localStorage.getItem(TOKEN_KEY) || "";
}

export function setToken(value) {
  if (value)
    localStorage.setItem(TOKEN_KEY, value);
  else
    localStorage.removeItem(TOKEN_KEY);
}

function headers(extra) {
  const h = { ...extra };
  const t = token();
  if (t)
    h.Authorization = `Bearer ${t}`;
  return h;
}

// A refusal of the service, or a network failure (status 0).  field is
// the request's field at fault when the service named one.
export class ApiError extends Error {
  constructor(status, message, field = null) {
    super(message);
    this.status = status;
    this.field = field;
  }

  describe() {
    const where = this.field ? `${this.field}: ` : "";
    const status = this.status ? `${this.status}: ` : "";
    return `${status}${where}${this.message}`;
  }
}

async function failure(response) {
  let text = "";
  try {
    text = await response.text();
    const j = JSON.parse(text);
    if (j && j.error && typeof j.error.message === "string")
      return new ApiError(response.status, j.error.message, j.error.field);
  } catch {
    // not the service's error object (a proxy's page, 431's HTML): its text
  }
  return new ApiError(response.status, text.trim() || response.statusText);
}

async function send(method, path, body, options = {}) {
  const init = { method, headers: headers(), ...options };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, `the service did not answer (${e.message})`);
  }
  if (!response.ok)
    throw await failure(response);
  return response;
}

// The answer's JSON object, or an ApiError.
export async function api(method, path, body) {
  const response = await send(method, path, body);
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

// A request that outlives the page (pagehide): no answer is read.
export function apiKeepalive(method, path) {
  fetch(path, { method, headers: headers(), keepalive: true }).catch(() => {});
}

// Reads a text/event-stream (the WHATWG format: `event:` and `data:`
// fields, a blank line ends an event, `:` starts a comment) and calls
// onEvent(name, data) for each event, until the stream ends or signal
// aborts it.  fetch() rather than EventSource, which cannot send the
// Authorization header.
export async function readEvents(path, onEvent, signal) {
  const response = await send("GET", path, undefined,
                              { signal, headers: headers({ Accept: "text/event-stream" }) });
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let name = "";
  let data = [];

  const line = (text) => {
    if (text === "") {
      if (data.length)
        onEvent(name || "message", data.join("\n"));
      name = "";
      data = [];
      return;
    }
    if (text.startsWith(":"))
      return;
    const colon = text.indexOf(":");
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? "" : text.slice(colon + 1);
    if (value.startsWith(" "))
      value = value.slice(1);
    if (field === "event")
      name = value;
    else if (field === "data")
      data.push(value);
  };

  for (;;) {
    const { value, done } = await reader.read();
    buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
    // A line ends at \r\n, \n or \r; a \r last in the buffer may be the
    // first half of \r\n, so it waits for the next piece.
    let start = 0;
    for (let i = 0; i < buffer.length; i++) {
      const c = buffer[i];
      if (c !== "\n" && c !== "\r")
        continue;
      if (c === "\r" && i + 1 === buffer.length && !done)
        break;
      line(buffer.slice(start, i));
      if (c === "\r" && buffer[i + 1] === "\n")
        i++;
      start = i + 1;
    }
    buffer = buffer.slice(start);
    if (done)
      return;
  }
}
