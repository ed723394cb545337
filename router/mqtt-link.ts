import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { MqttClient, type IClientOptions, type IPublishPacket } from 'mqtt';
import { ErrorCodes, ModtFailure } from '../protocol/index.ts';

export interface MqttLinkOptions {
  url: URL;
  clientId: string;
  /** Topic filters to hold, subscribed again at every connect (field case C02). */
  subscriptions: readonly string[];
  /** Called once per message, in order; the message is acknowledged when it settles. */
  onMessage(topic: string, payload: Buffer, packet: IPublishPacket): Promise<void>;
  /** Keep the broker session across reconnects and restarts (QoS 1 delivery to a restarted unit). */
  persistent?: boolean;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  connectTimeoutMs?: number;
}

export interface LinkProblem {
  code: typeof ErrorCodes.BROKER_UNAVAILABLE;
  reason: string;
}

/** Connections shorter than this, several in a row, are taken as another client with our id. */
const SHORT_CONNECTION_MS = 3000;
const SHORT_CONNECTIONS_FOR_CONFLICT = 3;

/**
 * One MQTT connection as every unit and the gateway need it: Nagle off, QoS 1, a persistent
 * session by default, reconnect with capped exponential backoff, every subscription made again
 * after each connect whatever the broker remembered, and messages acknowledged only once their
 * handling settled. It emits `ready`, `down` and `problem`; it never logs.
 */
export class MqttLink extends EventEmitter {
  readonly clientId: string;
  #client: MqttClient;
  #options: MqttLinkOptions;
  #ready = false;
  #connectedAt = 0;
  #shortConnections = 0;
  #closing = false;

  constructor(options: MqttLinkOptions) {
    super();
    this.#options = options;
    this.clientId = options.clientId;
    this.#client = new MqttClient(() => openStream(options.url), this.#clientOptions());
    this.#client.handleMessage = (packet, done) => {
      // A message whose handling failed is left unacknowledged, for the broker to deliver
      // again: acknowledging it would lose it. done(err) sends no PUBACK but lets mqtt.js
      // read on; never calling done would stop it reading anything on this connection.
      // Each message waits one turn of the event loop: mqtt.js hands a backlog over in
      // microtasks, which would otherwise starve timers, I/O and SIGTERM until it is drained.
      setImmediate(() => {
        this.#options.onMessage(packet.topic, packet.payload as Buffer, packet).then(
          () => done(),
          (err: Error) => done(err),
        );
      });
    };
    this.#client.on('connect', (connack) => void this.#onConnect(connack.sessionPresent));
    this.#client.on('close', () => this.#onClose());
    this.#client.on('error', (err) => this.#problem(describeError(err)));
  }

  /** Whether the link is connected and holds all its subscriptions. */
  get ready(): boolean {
    return this.#ready;
  }

  /**
   * Publishes and resolves once the broker has acknowledged (QoS 1) or taken (QoS 0) it;
   * while the link is down, once it is back and the broker has it. Never awaited inside this
   * link's own `onMessage`: mqtt.js reads no packet, that PUBACK included, until the message
   * in hand is done. The unit runner publishes on a second link for that reason.
   */
  async publish(topic: string, payload: Buffer | string, qos: 0 | 1 | 2 = 1, retain = false) {
    await this.#client.publishAsync(topic, payload, { qos, retain });
  }

  /** Resolves at the first moment the link is ready, or rejects after `timeoutMs`. */
  waitReady(timeoutMs: number): Promise<void> {
    if (this.#ready) return Promise.resolve();
    return new Promise((resolve, reject) => {
      let last = 'no answer from the broker';
      const onProblem = (problem: LinkProblem) => (last = problem.reason);
      const timer = setTimeout(() => {
        this.off('ready', onReady);
        this.off('problem', onProblem);
        const url = redact(this.#options.url);
        reject(new ModtFailure(ErrorCodes.BROKER_UNAVAILABLE, `broker ${url} not ready: ${last}`));
      }, timeoutMs);
      const onReady = () => {
        clearTimeout(timer);
        this.off('problem', onProblem);
        resolve();
      };
      this.once('ready', onReady);
      this.on('problem', onProblem);
    });
  }

  /**
   * Disconnects cleanly after what is in flight has been acknowledged, or, when the broker
   * does not answer within `timeoutMs`, drops the link: a stop must not hang on a dead broker.
   * Anything unacknowledged then is resent by the broker's session or was never acknowledged
   * to its sender.
   */
  async close(timeoutMs = 5000): Promise<void> {
    this.#closing = true;
    this.#ready = false;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), timeoutMs)));
    const ended = await Promise.race([this.#client.endAsync(), deadline]);
    clearTimeout(timer);
    if (ended === 'late') await this.#client.endAsync(true);
  }

  #clientOptions(): IClientOptions {
    const { url, clientId, persistent = true } = this.#options;
    return {
      clientId,
      clean: !persistent,
      protocolVersion: 4,
      username: url.username ? decodeURIComponent(url.username) : undefined,
      password: url.password ? decodeURIComponent(url.password) : undefined,
      reconnectPeriod: this.#options.reconnectMinMs ?? 250,
      connectTimeout: this.#options.connectTimeoutMs ?? 5000,
      resubscribe: false,
      keepalive: 30,
    };
  }

  async #onConnect(sessionPresent: boolean): Promise<void> {
    this.#connectedAt = Date.now();
    this.#client.options.reconnectPeriod = this.#options.reconnectMinMs ?? 250;

    const filters = this.#options.subscriptions;
    if (filters.length > 0) {
      try {
        const granted = await this.#client.subscribeAsync(filters.slice(), { qos: 1 });
        const refused = granted.filter((g) => g.qos === 128).map((g) => g.topic);
        if (refused.length > 0) {
          this.#problem(`broker refused the subscription to ${refused.join(', ')}`);
          return;
        }
      } catch (err) {
        this.#problem(`subscribe failed: ${(err as Error).message}`);
        return;
      }
    }

    this.#ready = true;
    this.emit('ready', { sessionPresent });
  }

  #onClose(): void {
    const wasReady = this.#ready;
    this.#ready = false;
    if (this.#closing) return;

    const lived = this.#connectedAt === 0 ? Infinity : Date.now() - this.#connectedAt;
    this.#connectedAt = 0;
    this.#shortConnections = lived < SHORT_CONNECTION_MS ? this.#shortConnections + 1 : 0;
    if (this.#shortConnections === SHORT_CONNECTIONS_FOR_CONFLICT) {
      this.#problem(
        `the broker keeps closing the connection: another client may be using client id ` +
          `'${this.clientId}' (set MODT_CLIENT_ID to tell them apart)`,
      );
    }

    const max = this.#options.reconnectMaxMs ?? 10_000;
    const next = Math.min(max, (this.#client.options.reconnectPeriod ?? 250) * 2);
    this.#client.options.reconnectPeriod = Math.round(next * (0.8 + Math.random() * 0.4));
    if (wasReady) this.emit('down');
  }

  #problem(reason: string): void {
    const problem: LinkProblem = { code: ErrorCodes.BROKER_UNAVAILABLE, reason };
    this.emit('problem', problem);
  }
}

function openStream(url: URL): net.Socket {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (url.protocol === 'mqtts:') {
    const port = Number(url.port || 8883);
    return tls.connect({ host, port, servername: host, noDelay: true } as tls.ConnectionOptions);
  }
  return net.createConnection({ host, port: Number(url.port || 1883), noDelay: true });
}

function describeError(err: Error & { code?: string | number }): string {
  if (typeof err.code === 'string') return `${err.code}: ${err.message}`;
  return err.message;
}

/** The URL without its password, for log lines. */
export function redact(url: URL): string {
  if (!url.password) return url.href;
  const copy = new URL(url.href);
  copy.password = '***';
  return copy.href;
}
