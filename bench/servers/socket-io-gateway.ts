import http from 'node:http';
import { parseArgs } from 'node:util';
import { Server, type Socket } from 'socket.io';
import { report } from '../support/ipc.ts';
import { BaselineSessions, COOKIE, connectBus, loginPage } from './baseline-sessions.ts';

/**
 * The same session logic on Socket.IO (WebSocket transport only, as a browser that never
 * needs long polling would use it): a memory baseline. The cookie and Origin are checked
 * in Socket.IO's own middleware; a redirect is one `emit`.
 */
const { values } = parseArgs({ options: { broker: { type: 'string' } } });
const sessions = new BaselineSessions<Socket>();
let origin = '';

const { subscribed } = connectBus(values.broker!, (ready) => {
  const session = sessions.byLogin(ready.session_id);
  if (session?.login === undefined || session.login.answered) return;
  session.login.answered = true;
  for (const socket of session.sockets)
    socket.emit('redirect', { url: ready.redirect_url, app_name: ready.app_name });
});

const server = http.createServer((req, res) => {
  if (req.method !== 'GET' || req.url !== '/') return void res.writeHead(404).end();
  const existing = sessions.byCookie(req.headers.cookie);
  const session = existing ?? sessions.create();
  const headers: http.OutgoingHttpHeaders = { 'content-type': 'text/html; charset=utf-8' };
  if (!existing)
    headers['set-cookie'] = `${COOKIE}=${session.secret}; Path=/; HttpOnly; SameSite=Strict`;
  res.writeHead(200, headers).end(loginPage(session.csrf));
});

const io = new Server(server, {
  transports: ['websocket'],
  serveClient: false,
  maxHttpBufferSize: 1024,
});
io.use((socket, next) => {
  const { headers } = socket.request;
  const session = headers.origin === origin ? sessions.byCookie(headers.cookie) : undefined;
  if (session === undefined) return next(new Error('no session'));
  session.sockets.add(socket);
  socket.on('disconnect', () => session.sockets.delete(socket));
  next();
});

await subscribed;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  origin = `http://127.0.0.1:${port}`;
  report('ready', { port });
});
process.on('SIGTERM', () => process.exit(0));
