import { escapeHtml } from '../pages.ts';

export const MONITOR_SCRIPT_PATH = '/assets/monitor.js';
export const MONITOR_STYLE_PATH = '/assets/monitor.css';

const COUNTERS: [id: string, label: string][] = [
  ['logins', 'Logins'],
  ['answers', 'Answers'],
  ['pushes', 'Pushes'],
  ['drops', 'Drops'],
  ['p50', 'p50 login → redirect'],
  ['p99', 'p99 login → redirect'],
];

function document(title: string, body: string, script?: string): string {
  const scriptTag = script ? `\n<script src="${script}" defer></script>` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/assets/style.css">
<link rel="stylesheet" href="${MONITOR_STYLE_PATH}">${scriptTag}
</head>
<body>
${body}
</body>
</html>
`;
}

/**
 * The monitor: counters, filters, the logins as sequence pictures and the messages, all
 * filled in by its script from `/monitor/ws` and `/monitor/history`.
 */
export function monitorPage(answerTtlMs: number): string {
  const counters = COUNTERS.map(([id, label]) => {
    return `  <div><dt>${label}</dt><dd id="count-${id}">–</dd></div>`;
  }).join('\n');
  const body = `<main id="monitor" class="monitor" data-answer-ttl-ms="${answerTtlMs}">
<header class="bar">
  <h1>The conversation</h1>
  <span id="live" class="live" role="status" aria-live="polite">connecting…</span>
  <button id="pause" type="button" aria-pressed="false">Pause</button>
</header>
<dl id="counters" class="counters">
${counters}
</dl>
<form id="filters" class="filters" role="search">
  <label>Topic <input name="topic" placeholder="modt/dead/+ or any text" autocomplete="off"></label>
  <label>User <input name="user" placeholder="user_id" autocomplete="off"></label>
  <label>Session <input name="session" placeholder="start of a session_id" autocomplete="off">
  </label>
</form>
<div class="panes">
<section aria-labelledby="logins-title">
  <h2 id="logins-title">Logins</h2>
  <p id="stories-empty" class="note">No login among the messages held.</p>
  <ol id="stories" class="stories"></ol>
</section>
<section aria-labelledby="messages-title">
  <h2 id="messages-title">Messages, newest first</h2>
  <table class="records">
    <thead>
      <tr><th>Received</th><th>Topic</th><th>User</th><th>Session</th><th>What</th></tr>
    </thead>
    <tbody id="rows"></tbody>
  </table>
  <nav class="pager" aria-label="pages">
    <button id="newer" type="button">Newer</button>
    <span id="page"></span>
    <button id="older" type="button">Older</button>
  </nav>
</section>
</div>
</main>`;
  return document('Conversation · MoDT', body, MONITOR_SCRIPT_PATH);
}
