import http from 'node:http';
import type { Duplex } from 'node:stream';
import { parseArgs } from 'node:util';
import { WebSocketServer, type WebSocket } from 'ws';
import { report } from '../support/ipc.ts';
import {
  BaselineSessions,
  COOKIE,
  connectBus,
  loginPage,
  tokenMatches,
  type BaselineSession,
} from './baseline-sessions.ts';

/**
 * The gateway's session logic written on `ws` + node:http: the baseline of the memory a
 * session holds and of the push path (an mqtt.js subscriber, a Map lookup, `ws.send`).
 * Pages, cookie, form token, Origin check, sockets bound to sessions as MoDT's gateway does;
 * the password is not checked (no scrypt), which only makes its logins cheaper.
 */
const { values } = parseArgs({ options: { broker: { type: 'string' } } });
const sessions = new BaselineSessions<WebSocket>();
const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 });
let origin = '';

const { bus, subscribed } = connectBus(values.broker!, (ready) => {
  const session = sessions.byLogin(ready.session_id);
  if (session?.login === undefined || session.login.answered) return;
  session.login.answered = true;
  const frame = JSON.stringify({
    type: 'redirect',
    url: ready.redirect_url,
    app_name: ready.app_name,
  });
  for (const socket of session.sockets) socket.send(frame);
});

function send(
  res: http.ServerResponse,
  status: number,
  type: string,
  body: string,
  cookie?: string,
) {
  const headers: http.OutgoingHttpHeaders = { 'content-type': type, 'cache-control': 'no-store' };
  if (cookie) headers['set-cookie'] = `${COOKIE}=${cookie}; Path=/; HttpOnly; SameSite=Strict`;
  res.writeHead(status, headers).end(body);
}

function page(req: http.IncomingMessage, res: http.ServerResponse) {
  const existing = sessions.byCookie(req.headers.cookie);
  if (existing) return send(res, 200, 'text/html; charset=utf-8', loginPage(existing.csrf));
  const session = sessions.create();
  send(res, 200, 'text/html; charset=utf-8', loginPage(session.csrf), session.secret);
}

function login(req: http.IncomingMessage, res: http.ServerResponse) {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const session = sessions.byCookie(req.headers.cookie);
    if (req.headers.origin !== origin || session === undefined)
      return send(res, 401, 'application/json', '{"ok":false}');
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    if (!tokenMatches(session.csrf, form.get('csrf')))
      return send(res, 403, 'application/json', '{"ok":false}');
    const userId = form.get('username') ?? '';
    const sessionId = sessions.beginLogin(session, userId);
    const success = {
      user_id: userId,
      session_id: sessionId,
      role: 'user',
      timestamp: new Date().toISOString(),
    };
    bus.publish('modt/auth/success', JSON.stringify(success), { qos: 1 }, () => {
      send(
        res,
        200,
        'application/json',
        JSON.stringify({ ok: true, user_id: userId }),
        session.secret,
      );
    });
  });
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/') return page(req, res);
  if (req.method === 'POST' && req.url === '/login') return login(req, res);
  send(res, 404, 'text/plain', 'not found');
});

server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
  const session =
    req.url === '/ws' && req.headers.origin === origin
      ? sessions.byCookie(req.headers.cookie)
      : undefined;
  if (session === undefined) {
    socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => bind(session, ws));
});

function bind(session: BaselineSession<WebSocket>, ws: WebSocket) {
  session.sockets.add(ws);
  ws.on('close', () => session.sockets.delete(ws));
}

await subscribed;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  origin = `http://127.0.0.1:${port}`;
  report('ready', { port });
});
process.on('SIGTERM', () => process.exit(0));
