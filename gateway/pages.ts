import type { AppDisplay } from '../protocol/index.ts';

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string, script = ''): string {
  const scriptTag = script ? `\n<script src="${script}" defer></script>` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/assets/style.css">${scriptTag}
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

/**
 * The login page: a plain form carrying the session's token (CSRF), and a script that logs
 * in and waits for the redirect. The script posts the whole form, token included. The form
 * names the origin the gateway takes sockets and logins from, so a page opened under
 * another name (127.0.0.1 for localhost) says so instead of waiting for a socket refused.
 */
export function loginPage(csrf: string, publicOrigin: string): string {
  return page(
    'Sign in · MoDT',
    `<h1>Sign in</h1>
<p id="hint" role="alert" hidden></p>
<form id="login" method="post" action="/login" data-origin="${escapeHtml(publicOrigin)}">
  <input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
  <label>Username <input name="username" autocomplete="username" required autofocus></label>
  <label>Password
    <input name="password" type="password" autocomplete="current-password" required></label>
  <button type="submit">Sign in</button>
</form>
<p id="status" role="status" aria-live="polite"></p>`,
    '/assets/login.js',
  );
}

/** The page an app published for one login, rendered as escaped text only. */
export function displayPage(display: AppDisplay): string {
  const cell = (tag: string, text: string) => `<${tag}>${escapeHtml(text)}</${tag}>`;
  const rows = display.items
    .map(({ label, value }) => `  <tr>${cell('th', label)}${cell('td', value)}</tr>`)
    .join('\n');
  return page(
    `${display.title} · ${display.app_name}`,
    `<h1>${escapeHtml(display.title)}</h1>
<table id="display" data-app="${escapeHtml(display.app_name)}">
${rows}
</table>
<p class="note">Shown by ${escapeHtml(display.app_name)} through the MoDT gateway.</p>`,
  );
}

export function messagePage(title: string, text: string): string {
  const body = `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(text)}</p>`;
  return page(title, `${body}\n<p><a href="/">Sign in</a></p>`);
}

/**
 * The login page's script. The socket is opened first and kept open (reopened after a
 * drop), so the redirect can arrive the moment the app is ready. A page opened under another
 * origin than the gateway's says which to open, and tries its socket once only: the gateway
 * refuses it, and logs the origin it expected.
 */
export const LOGIN_SCRIPT = `'use strict';
(() => {
  const form = document.getElementById('login');
  const status = document.getElementById('status');
  const say = (text) => { status.textContent = text; };
  const expected = form.dataset.origin;
  const foreign = typeof expected === 'string' && expected !== location.origin;
  let delay = 250;

  function showForeignOrigin() {
    const hint = document.getElementById('hint');
    const link = document.createElement('a');
    link.href = expected + '/';
    link.textContent = expected + '/';
    hint.textContent = 'This page is open at ' + location.origin + ', but the gateway takes ' +
      'sign-ins only at ' + expected + ' (MODT_PUBLIC_URL). Open ';
    hint.append(link, ' instead.');
    hint.hidden = false;
    document.body.dataset.origin = 'foreign';
  }

  function noAnswer(message) {
    const seconds = Math.round((Number(message.waited_ms) || 0) / 1000);
    const waited = 'The app did not answer within ' + seconds + ' s. ';
    const next = message.waiting ? 'This page opens it if it answers later.' : 'Try again later.';
    say(waited + next);
    document.body.dataset.answer = 'none';
  }

  function connect() {
    const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
    const socket = new WebSocket(scheme + location.host + '/ws');
    socket.addEventListener('open', () => {
      delay = 250;
      document.body.dataset.socket = 'open';
    });
    socket.addEventListener('message', (event) => {
      let message;
      try { message = JSON.parse(event.data); } catch { return; }
      if (message.type === 'redirect' && typeof message.url === 'string') {
        socket.send(JSON.stringify({ type: 'ack', id: message.id }));
        say('Opening ' + (message.app_name || 'the app') + '…');
        location.assign(message.url);
        return;
      }
      if (message.type === 'no-answer') noAnswer(message);
    });
    socket.addEventListener('close', (event) => {
      document.body.dataset.socket = 'closed';
      if (event.code === 4401) { say('Your session has ended: reload the page.'); return; }
      if (foreign) return;
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 5000);
    });
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    delete document.body.dataset.answer;
    say('Signing in…');
    const body = new URLSearchParams(new FormData(form));
    let answer;
    try {
      const headers = { accept: 'application/json' };
      const response = await fetch('/login', { method: 'POST', body, headers });
      answer = await response.json();
    } catch {
      say('The gateway did not answer. Try again.');
      return;
    }
    // The notice that no app answered may have come first: it stays.
    if (document.body.dataset.answer === 'none') return;
    say(answer.ok ? 'Signed in as ' + answer.user_id + '. Waiting for the app…' : answer.error);
  });

  if (foreign) showForeignOrigin();
  connect();
})();
`;

export const STYLE_SHEET = `:root { font-family: system-ui, sans-serif; color-scheme: light dark; }
main { max-width: 28rem; margin: 4rem auto; padding: 0 1rem; }
form { display: grid; gap: 0.75rem; }
label { display: grid; gap: 0.25rem; }
input, button { font: inherit; padding: 0.5rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 0.4rem 0.6rem; border-bottom: 1px solid #8884; }
.note { color: #888; font-size: 0.9rem; }
#hint { padding: 0.5rem; border: 1px solid #c60; }
`;
