import { conversationKit } from './conversation.ts';
import { historyEventKit } from './history-events.ts';
import { loginStoryKit } from './login-stories.ts';

/**
 * The kits' own source, made the page's: the very functions the unit tests call, so the
 * story logic is written and tested once. Each uses nothing from outside its body. esbuild
 * (tsx's `keepNames`) names functions through its `__name` helper, which lives outside
 * them: a no-op stands in for it.
 */
export const KITS_SOURCE = `var __name = (target) => target;
var events = (${historyEventKit.toString()})();
var stories = (${loginStoryKit.toString()})();
var kit = (${conversationKit.toString()})(events, stories);`;

/**
 * What the page does with the kits: keeps a `Conversation` fed from `/monitor/ws` (a
 * snapshot, then live records), pages back through `/monitor/history`, and renders the
 * bounded view at most every 100 ms and every second (for logins that go unanswered).
 * Text only ever goes in through `textContent`.
 */
const RENDER_SOURCE = String.raw`
  var ROWS = 50, STORIES = 20, STEPS = 8, MAX_HELD = 10000, PAGE_LIMIT = 500;
  var root = document.getElementById('monitor');
  var byId = function (id) { return document.getElementById(id); };
  var ttl = Number(root.dataset.answerTtlMs) || 30000;
  var conversation = new kit.Conversation({ maxHeld: MAX_HELD, answerTtlMs: ttl });
  var filter = { topic: '', user: '', session: '' };
  var state = { page: 0, pages: 1, paused: false, queued: false, loading: false };
  var pending = [], overflowed = false, delay = 250;

  var ARROWS = {
    login: 'gateway-apps right', display: 'gateway-apps left', ready: 'gateway-apps left',
    pushed: 'browser-gateway left', drop: 'at-gateway'
  };
  var LABELS = {
    login: 'auth/success', display: 'app/display', ready: 'app/ready',
    pushed: 'redirect', drop: '✕ dropped'
  };
  var STATES = {
    pushed: function (s) { return 'redirect pushed in ' + s.latencyMs + ' ms'; },
    answered: function () { return 'answered, not pushed yet'; },
    refused: function () { return 'answer refused'; },
    waiting: function () { return 'waiting for an answer'; },
    unanswered: function () { return 'no answer'; }
  };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function clock(ms) {
    if (!isFinite(ms)) return '–';
    var d = new Date(ms);
    var two = function (n) { return String(n).padStart(2, '0'); };
    var time = two(d.getHours()) + ':' + two(d.getMinutes()) + ':' + two(d.getSeconds());
    return time + '.' + String(d.getMilliseconds()).padStart(3, '0');
  }
  function ms(value) { return value === null || value === undefined ? '–' : value + ' ms'; }
  function short(id) { return id ? id.slice(0, 8) : ''; }
  function say(text, on) {
    var live = byId('live');
    live.textContent = text;
    live.classList.toggle('on', Boolean(on));
  }

  function schedule() {
    if (state.queued) return;
    state.queued = true;
    setTimeout(render, 100);
  }

  function render() {
    state.queued = false;
    var view = conversation.view(filter, {
      now: Date.now(), page: state.page, rowsPerPage: ROWS, maxStories: STORIES, maxSteps: STEPS
    });
    state.page = view.page;
    state.pages = view.pages;
    renderCounters(view.counters);
    renderStories(view.stories);
    renderRows(view.rows);
    byId('page').textContent = 'page ' + (view.page + 1) + ' of ' + view.pages + ' · ' +
      view.matched + ' of ' + conversation.size + ' messages held';
    byId('newer').disabled = view.page === 0;
    byId('older').disabled = state.loading ||
      (view.page >= view.pages - 1 && !conversation.olderStored);
    root.dataset.held = String(conversation.size);
    root.dataset.page = String(view.page);
  }

  function renderCounters(c) {
    byId('count-logins').textContent = String(c.logins);
    byId('count-answers').textContent = String(c.answers);
    byId('count-pushes').textContent = String(c.pushes);
    byId('count-drops').textContent = String(c.drops);
    byId('count-p50').textContent = ms(c.p50Ms);
    byId('count-p99').textContent = ms(c.p99Ms);
  }

  function lanes() {
    var row = el('li', 'lanes');
    row.append(el('span', 'browser', 'browser'), el('span', 'gateway', 'gateway'),
      el('span', 'apps', 'apps'));
    return row;
  }

  function stepRow(step) {
    var row = el('li', 'step step-' + step.kind + (step.won === false ? ' lost' : ''));
    row.dataset.kind = step.kind;
    var label = LABELS[step.kind] + (step.appName ? ' · ' + step.appName : '');
    if (step.kind === 'pushed') label += ' (' + step.latencyMs + ' ms)';
    row.append(el('span', 'arrow ' + ARROWS[step.kind], label));
    var timing = step.kind === 'login' ? '0 ms' : '+' + step.sincePreviousMs + ' ms';
    var cell = el('span', 'timing', timing);
    cell.title = 'received ' + step.sinceLoginMs + ' ms after the login';
    row.append(cell);
    if (step.kind === 'drop') row.append(el('span', 'reason', step.text));
    if (step.won === false) row.append(el('span', 'reason', 'a later answer: not pushed'));
    return row;
  }

  function renderStories(list) {
    var items = list.map(function (story) {
      var item = el('li', 'story state-' + story.state);
      item.dataset.session = story.sessionId;
      item.dataset.state = story.state;
      var head = el('p', 'story-head');
      head.append(el('strong', '', story.userId), ' (' + story.role + ') · ',
        el('code', '', short(story.sessionId)), ' · ' + clock(story.at) + ' · ',
        el('span', 'state', STATES[story.state](story)));
      var picture = el('ol', 'sequence');
      picture.append(lanes());
      story.steps.forEach(function (step) { picture.append(stepRow(step)); });
      if (story.hiddenSteps > 0) {
        picture.append(el('li', 'more', '+ ' + story.hiddenSteps + ' more steps'));
      }
      item.append(head, picture);
      return item;
    });
    byId('stories').replaceChildren.apply(byId('stories'), items);
    byId('stories-empty').hidden = list.length > 0;
  }

  function renderRows(rows) {
    var trs = rows.map(function (row) {
      var tr = el('tr', 'kind-' + row.kind);
      tr.dataset.id = row.id;
      var session = el('td', 'session', short(row.sessionId));
      if (row.sessionId) {
        session.dataset.session = row.sessionId;
        session.title = 'show only ' + row.sessionId;
      }
      tr.append(el('td', 'time', clock(row.at)), el('td', 'topic', row.topic),
        el('td', 'who', row.userId || ''), session,
        el('td', 'what', row.code && row.kind === 'other' ? row.code + ' ' + row.text : row.text));
      return tr;
    });
    byId('rows').replaceChildren.apply(byId('rows'), trs);
  }

  function receive(entries) {
    if (!state.paused) {
      conversation.addNewer(entries);
      schedule();
      return;
    }
    pending.push.apply(pending, entries);
    if (pending.length > MAX_HELD) {
      pending.splice(0, pending.length - MAX_HELD);
      overflowed = true;
    }
    say('paused · ' + pending.length + ' new');
  }

  function connect() {
    var scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
    var socket = new WebSocket(scheme + location.host + '/monitor/ws');
    socket.addEventListener('open', function () {
      delay = 250;
      root.dataset.socket = 'open';
      say(state.paused ? 'paused' : 'live', !state.paused);
    });
    socket.addEventListener('message', function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      if (message.type === 'snapshot') {
        conversation.reset(message.entries, message.more);
        pending = [];
        overflowed = false;
        state.page = 0;
        render();
        root.dataset.snapshot = 'shown';
      } else if (message.type === 'records') {
        receive(message.entries);
      }
    });
    socket.addEventListener('close', function (event) {
      root.dataset.socket = 'closed';
      if (event.code === 4401 || event.code === 4403) {
        say('Your session ended or is no admin’s: sign in again.');
        return;
      }
      say('reconnecting…');
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 5000);
    });
  }

  function loadOlder() {
    var before = conversation.oldestId;
    if (!before || state.loading) return;
    state.loading = true;
    render();
    var url = '/monitor/history?before=' + encodeURIComponent(before) + '&limit=' + PAGE_LIMIT;
    fetch(url, { headers: { accept: 'application/json' } })
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        state.loading = false;
        if (!answer.ok) { say(answer.error || 'the history did not answer'); render(); return; }
        var added = conversation.addOlder(answer.entries, answer.more);
        if (added === 0 && answer.entries.length > 0) {
          say('this page holds at most ' + MAX_HELD + ' messages');
        }
        if (added > 0) state.page += 1;
        render();
      })
      .catch(function () {
        state.loading = false;
        say('the gateway did not answer');
        render();
      });
  }

  byId('older').addEventListener('click', function () {
    if (state.page < state.pages - 1) { state.page += 1; render(); return; }
    if (conversation.olderStored) loadOlder();
  });
  byId('newer').addEventListener('click', function () {
    state.page = Math.max(0, state.page - 1);
    render();
  });
  byId('pause').addEventListener('click', function (event) {
    state.paused = !state.paused;
    event.target.textContent = state.paused ? 'Resume' : 'Pause';
    event.target.setAttribute('aria-pressed', String(state.paused));
    root.dataset.paused = String(state.paused);
    if (state.paused) { say('paused', false); return; }
    if (overflowed) conversation.reset(pending, true);
    else conversation.addNewer(pending);
    pending = [];
    overflowed = false;
    say(root.dataset.socket === 'open' ? 'live' : 'reconnecting…', root.dataset.socket === 'open');
    render();
  });
  var form = byId('filters');
  form.addEventListener('submit', function (event) { event.preventDefault(); });
  form.addEventListener('input', function (event) {
    filter[event.target.name] = event.target.value;
    state.page = 0;
    schedule();
  });
  byId('rows').addEventListener('click', function (event) {
    var session = event.target.dataset && event.target.dataset.session;
    if (!session) return;
    form.elements.session.value = session;
    filter.session = session;
    state.page = 0;
    render();
  });

  setInterval(schedule, 1000);
  render();
  connect();
`;

/** The monitor page's script, served as `/assets/monitor.js`: no inline script anywhere. */
export const MONITOR_SCRIPT = `'use strict';
(() => {
${KITS_SOURCE}
${RENDER_SOURCE}
})();
`;
