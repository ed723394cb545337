import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import {
  MqttClient,
  type IClientOptions,
  type IClientPublishOptions,
  type IPublishPacket,
} from 'mqtt';
import { ErrorCodes, ModtFailure } from '../protocol/index.ts';

export interface MqttLinkOptions {
  url: URL;
  clientId: string;
  /** Topic filters to hold, subscribed again at every connect (field case C02). */
  subscriptions: readonly string[];
  /**
   * Called once per message, in the order they came, without waiting for the one before to
   * settle; each is acknowledged once it and every message before it have settled.
   */
  onMessage(topic: string, payload: Buffer, packet: IPublishPacket): Promise<void>;
  /** How many messages may be in hand, unsettled, before the link stops reading. */
  maxInFlight?: number;
  /** Keep the broker session across reconnects and restarts (QoS 1 to a restarted unit). */
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
const DEFAULT_MAX_IN_FLIGHT = 256;
const REDELIVER_WITHIN_MS = 1000;

/** A message in hand: settled once its handling is done, acknowledged in order of receipt. */
interface Delivery {
  /** The message, until it is handed to `onMessage`. */
  packet: IPublishPacket | undefined;
  messageId: number | undefined;
  qos: number;
  /**
   * The stream it came on, or none when mqtt.js handed it over after that stream closed:
   * an acknowledgement belongs to that connection only. (A counter bumped on `close` is not
   * enough: mqtt.js goes on handing over what it had parsed until it reconnects.)
   */
  stream: unknown;
  settled: boolean;
  handled: boolean;
}

/** mqtt.js's publish options by retain (0, 1) and QoS: it copies them, never changes them. */
const PUBLISH_OPTIONS: readonly (readonly IClientPublishOptions[])[] = [false, true].map(
  (retain) => ([0, 1, 2] as const).map((qos) => Object.freeze({ qos, retain })),
);

/** What mqtt.js's packet loop is told so that it reads on without sending the PUBACK itself. */
const ACK_LATER = new Error('acknowledged by MqttLink once handled in order');

/** The part of mqtt.js's client this link sends its own acknowledgements through. */
interface PacketWriter {
  _sendPacket(packet: { cmd: 'puback'; messageId: number }, cb?: () => void): void;
}

/**
 * One MQTT connection as every unit and the gateway need it: Nagle off, QoS 1, a persistent
 * session by default, reconnect with capped exponential backoff, every subscription made again
 * after each connect whatever the broker remembered, and messages acknowledged only once their
 * handling settled. It emits `ready`, `down`, `problem` and `redeliver`; it never logs.
 */
export class MqttLink extends EventEmitter {
  readonly clientId: string;
  #client: MqttClient;
  #options: MqttLinkOptions;
  #ready = false;
  #connectedAt = 0;
  #shortConnections = 0;
  #closing = false;
  /** Set by `drain()`: a message that fails from then on is no reason to reconnect. */
  #draining = false;
  /** Set while the link reconnects so that the broker delivers a failed message again. */
  #redelivering = false;
  /** When the link reconnects for a failed message, unless all in hand settle before. */
  #redeliverTimer: NodeJS.Timeout | undefined;
  /** Messages in hand by the stream they came on: only the current one's count for room. */
  #inHand = new Map<unknown, number>();
  /** Messages in hand, oldest first. */
  #window: Delivery[] = [];
  /** Messages taken this turn, for `onMessage` at the next. */
  #toHandle: Delivery[] = [];
  /** mqtt.js's calls to read on, held while the window is full, with the QoS that held it. */
  #held: { qos: number; readOn: () => void }[] = [];

  constructor(options: MqttLinkOptions) {
    super();
    this.#options = options;
    this.clientId = options.clientId;
    this.#client = new MqttClient(() => openStream(options.url), this.#clientOptions());
    this.#client.handleMessage = (packet, done) => this.#take(packet, done);
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
   * while the link is down, once it is back and the broker has it. Not for the outputs of
   * this link's own messages: with its window full the link stops reading, the PUBACKs of
   * those outputs too, and would wait on itself. The unit runner publishes on a second link
   * for that reason. One promise a publish, and no options object: a unit makes several a
   * message.
   */
  publish(topic: string, payload: Buffer | string, qos: 0 | 1 | 2 = 1, retain = false) {
    return new Promise<void>((resolve, reject) => {
      this.#client.publish(topic, payload, PUBLISH_OPTIONS[retain ? 1 : 0]![qos]!, (err) =>
        err ? reject(err) : resolve(),
      );
    });
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
    clearTimeout(this.#redeliverTimer);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), timeoutMs);
    });
    const ended = await Promise.race([this.#client.endAsync(), deadline]);
    clearTimeout(timer);
    if (ended === 'late') await this.#client.endAsync(true);
  }

  /**
   * Takes one message from mqtt.js's packet loop. mqtt.js would send the PUBACK when `done`
   * is called and read nothing more until then, so a unit could handle one message per round
   * trip to the broker. Instead, `done(ACK_LATER)` tells it to read on and send nothing, and
   * the link acknowledges each message itself once it and all before it have settled, in the
   * order they came. A message whose handling failed is left unacknowledged, for the broker
   * to deliver again: acknowledging it would lose it. Each message is handled at the next
   * turn of the event loop, while mqtt.js reads on at once: so every message of what one read
   * brought is handled in the same turn, and their writes go out together (see
   * `coalesceWrites`), instead of one message, and one `writev`, a turn. Timers, I/O and
   * SIGTERM still get their turn between reads: mqtt.js hands a read's packets over in
   * microtasks, and a backlog would otherwise starve them until it is drained.
   */
  #take(packet: IPublishPacket, done: (err?: Error) => void): void {
    const delivery: Delivery = {
      packet,
      messageId: packet.messageId,
      qos: packet.qos,
      stream: this.#client.connected ? this.#client.stream : undefined,
      settled: false,
      handled: false,
    };
    this.#window.push(delivery);
    this.#inHand.set(delivery.stream, (this.#inHand.get(delivery.stream) ?? 0) + 1);
    this.#toHandle.push(delivery);
    if (this.#toHandle.length === 1) setImmediate(this.#handleTaken);
    if (this.#roomFor(packet.qos)) done(ACK_LATER);
    else this.#held.push({ qos: packet.qos, readOn: () => done(ACK_LATER) });
  }

  /** Hands what was taken since the last turn to `onMessage`, in order. */
  #handleTaken = (): void => {
    const taken = this.#toHandle;
    this.#toHandle = [];
    for (const delivery of taken) {
      const { packet } = delivery;
      delivery.packet = undefined;
      let handling: Promise<void>;
      try {
        handling = this.#options.onMessage(packet!.topic, packet!.payload as Buffer, packet!);
      } catch (err) {
        // A handler that throws before its promise fails only its own message, not the turn's.
        handling = Promise.reject(err);
      }
      handling.then(
        () => this.#settle(delivery, true),
        () => this.#settle(delivery, false),
      );
    }
  };

  #settle(delivery: Delivery, handled: boolean): void {
    delivery.settled = true;
    delivery.handled = handled;
    this.#acknowledgeSettled();
  }

  /**
   * Whether to read on with this many messages in hand. Not reading stops everything on the
   * connection, PINGRESP and SUBACK too: held past the keepalive, the link would be dropped
   * as dead. So QoS 1 deliveries are left to the broker's own limit on messages in flight
   * to a client (`max_inflight_messages`, which should not exceed the window: 256 as
   * shipped), and the link stops reading for them only at twice the window, a last resort
   * against a broker without a limit. QoS 0 deliveries have no limit at the broker: the
   * link stops reading for them once the window is full.
   */
  #roomFor(qos: number): boolean {
    const max = this.#options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    // What came on a closed connection is still being handled, but the broker counts it no
    // more: it delivers those again on the new one, which must be able to read its SUBACK.
    const inHand = this.#inHand.get(this.#client.stream) ?? 0;
    return inHand < (qos > 0 ? 2 * max : max);
  }

  /** Acknowledges the settled messages at the head of the window, then reads on if held. */
  #acknowledgeSettled(): void {
    const writer = this.#client as unknown as PacketWriter;
    while (this.#window.length > 0 && this.#window[0]!.settled) {
      const { messageId, qos, stream, handled } = this.#window.shift()!;
      const left = this.#inHand.get(stream)! - 1;
      if (left > 0) this.#inHand.set(stream, left);
      else this.#inHand.delete(stream);
      const current = this.#client.connected && stream === this.#client.stream;
      if (qos === 0 || messageId === undefined || !current) continue;
      if (handled) writer._sendPacket({ cmd: 'puback', messageId });
      else this.#redeliverSoon();
    }
    // Once everything in hand from this connection is acknowledged, only the failed ones
    // come again.
    if (this.#redeliverTimer !== undefined && !this.#inHand.has(this.#client.stream)) {
      this.#redeliver();
    }
    while (this.#held.length > 0 && this.#roomFor(this.#held[0]!.qos)) {
      this.#held.shift()!.readOn();
    }
  }

  /**
   * A message left unacknowledged holds one of the broker's in-flight places for this client
   * until the connection ends: enough of them and the broker sends nothing more. So the link
   * reconnects, and the broker's session delivers it again (with DUP): as soon as everything
   * else in hand from that connection is acknowledged, or after REDELIVER_WITHIN_MS if
   * messages keep coming (what is in hand then comes again too). A failure is taken as
   * passing: a message that can never be handled must be refused (settled), not failed,
   * or it comes back for ever.
   */
  #redeliverSoon(): void {
    if (this.#draining || this.#closing || this.#redeliverTimer !== undefined) return;
    this.#redeliverTimer = setTimeout(() => this.#redeliver(), REDELIVER_WITHIN_MS);
  }

  #redeliver(): void {
    clearTimeout(this.#redeliverTimer);
    this.#redeliverTimer = undefined;
    if (this.#draining || this.#closing || this.#redelivering || !this.#client.connected) return;
    this.#redelivering = true;
    this.emit('redeliver');
    // end(), not destroy(): the PUBACKs just written must reach the broker first.
    this.#client.stream.end();
  }

  /**
   * Says the link is about to close: a message that fails from now on (refused because its
   * unit is stopping, say) is left to the next process instead of redelivered here.
   */
  drain(): void {
    this.#draining = true;
    clearTimeout(this.#redeliverTimer);
    this.#redeliverTimer = undefined;
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
      // Two calls mqtt.js makes for every packet, a few per cent of a busy link: a debug line
      // nobody reads unless DEBUG asks for it, and moving the keepalive timer (a ping every
      // 30 s on a busy link costs nothing).
      ...(process.env.DEBUG ? {} : { log: noLog }),
      reschedulePings: false,
      // mqtt-packet would otherwise make 65,536 small Buffers for packet ids before the first
      // packet: tens of milliseconds of a unit's start, and garbage for the collector.
      writeCache: false,
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
    if (this.#redelivering) {
      // Closed on purpose: neither a short connection nor a reason to back off.
      this.#redelivering = false;
      this.#client.options.reconnectPeriod = this.#options.reconnectMinMs ?? 250;
      return;
    }

    const lived = this.#connectedAt === 0 ? Infinity : Date.now() - this.#connectedAt;
    this.#connectedAt = 0;
    this.#shortConnections = lived < SHORT_CONNECTION_MS ? this.#shortConnections + 1 : 0;
    if (this.#shortConnections === SHORT_CONNECTIONS_FOR_CONFLICT) {
      this.#problem(
        `the broker keeps closing the connection: another client may be using client id ` +
          `'${this.clientId}' (two processes of one unit, or two stacks on one broker)`,
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
    const options = { host, port, servername: host, noDelay: true } as tls.ConnectionOptions;
    return coalesceWrites(tls.connect(options));
  }
  const port = Number(url.port || 1883);
  return coalesceWrites(net.createConnection({ host, port, noDelay: true }));
}

/**
 * Holds what is written to the socket in one turn of the event loop and sends it as one
 * `writev` at the next: a unit answering a backlog writes each message's publishes and
 * acknowledgements from its own callback, and one system call each was the largest single
 * cost of a drain. mqtt-packet corks each packet until the next tick only, which joins the
 * parts of one packet but not the packets of different callbacks. Nagle stays off: the
 * delay is one turn of the loop, not a timer.
 */
export function coalesceWrites<S extends net.Socket>(socket: S): S {
  let held = false;
  const release = () => {
    held = false;
    socket.uncork();
  };
  const write = socket.write;
  socket.write = function (this: S, ...args: Parameters<S['write']>) {
    if (!held) {
      held = true;
      socket.cork();
      setImmediate(release);
    }
    return write.apply(this, args);
  } as S['write'];
  return socket;
}

function noLog(): void {}

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
