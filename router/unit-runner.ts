import { EventEmitter } from 'node:events';
import type { TSchema } from '@sinclair/typebox';
import {
  DEFAULT_MAX_PAYLOAD_BYTES,
  ErrorCodes,
  ModtFailure,
  decodePayload,
  modtError,
  type ModtError,
} from '../protocol/index.ts';
import type { HistoryRecord, HistoryStore } from './history/index.ts';
import { callHandler } from './call-handler.ts';
import { DeadLetterBox, type DeadLetterLimits } from './dead-letters.ts';
import { MqttLink, type LinkProblem } from './mqtt-link.ts';
import { prepareOutput } from './prepare-output.ts';
import { RecordWriter } from './record-writer.ts';
import { topicMatches } from './topic-filter.ts';
import { unitShapeProblem } from './unit-shape.ts';
import { RAW, type AnyUnit, type Output, type Subscriptions, type UnitContext } from './unit.ts';

export interface UnitRunnerOptions {
  mqttUrl: URL;
  clientId?: string;
  settings: Record<string, string>;
  /** Needed by units that return records. */
  store?: HistoryStore;
  maxPayloadBytes?: number;
  /** The broker's packet limit; outputs that would encode larger are refused. */
  maxPacketBytes?: number;
  clock?: () => number;
  reconnectMaxMs?: number;
  /** How fast refused messages are announced on `modt/dead/<unit>`. */
  deadLetters?: DeadLetterLimits;
  /** How long `stop()` waits for the broker to take what is in flight before it drops the link. */
  stopTimeoutMs?: number;
  /** How many messages the unit has in hand at most, their outputs on the way. */
  maxInFlight?: number;
}

/** A message the runner refused: where it came from and why. */
export interface Drop {
  unit: string;
  topic: string;
  code: ModtError['code'];
  reason: string;
}

/** A message the runner took from the broker (`received`), before any check. */
export interface Received {
  unit: string;
  topic: string;
}

/** A message handled to the end (`handled`): the handler's time and what it led to. */
export interface Handled {
  unit: string;
  topic: string;
  /** How long the handler itself ran, in milliseconds. */
  handlerMs: number;
  published: number;
  recorded: number;
}

/** What the outputs of one message came to. */
type Performed = Pick<Handled, 'published' | 'recorded'>;

export const DEFAULT_MAX_PACKET_BYTES = 256 * 1024;
const NO_RECORDS = 'a record from a unit that does not declare records: true';
const DEFAULT_STOP_TIMEOUT_MS = 5000;
/** The same problem of the two connections within this long is said once. */
const SAME_PROBLEM_WITHIN_MS = 1000;

/**
 * Runs one unit: receives its messages, refuses what is not strict and schema-valid, calls
 * the pure handler, performs the outputs it returns, and only then acknowledges the message,
 * so that a unit killed mid-message gets it again. Messages are handled in the order they
 * came, each handler call to the end before the next; their outputs are then on the way
 * together, up to `maxInFlight` messages: publishes go out in order on a second connection
 * of the unit's own, records to the store in order through one group-committing writer, and
 * each message is acknowledged once the broker has its publishes and the store its records.
 * Emits `received`, `handled`, `drop`, `store-error`, `ready`, `down`, `problem` and
 * `redeliver` (the link reconnects so that a message not handled comes again); the process
 * at the edge decides what to log and count.
 */
export class UnitRunner extends EventEmitter {
  readonly unit: AnyUnit;
  /** The receiving connection: the unit's subscriptions and persistent session. */
  readonly link: MqttLink;
  /** The sending connection: outputs and dead letters. */
  readonly outbox: MqttLink;
  readonly stats = {
    received: 0,
    handled: 0,
    published: 0,
    recorded: 0,
    deadLetters: 0,
    dropped: {} as Record<string, number>,
  };
  readonly deadLetters: DeadLetterBox;
  #options: UnitRunnerOptions;
  #entries: { filter: string; schema: TSchema | typeof RAW }[];
  #stopping = false;
  /** How many messages are being handled or have their outputs on the way. */
  #inFlight = 0;
  /** Called once no message is in flight, while `stop()` waits for that. */
  #whenIdle: (() => void) | undefined;
  #stopped: Promise<void> | undefined;
  #writer: RecordWriter | undefined;
  #lastProblem: { reason: string; at: number } | undefined;

  constructor(unit: AnyUnit, options: UnitRunnerOptions) {
    super();
    const problem = unitShapeProblem(unit);
    if (problem !== undefined) {
      throw new ModtFailure(ErrorCodes.UNIT_INVALID, `unit ${String(unit.name)}: ${problem}`);
    }
    this.unit = unit;
    this.#options = options;
    const subscriptions = Object.entries(unit.subscribe as Subscriptions);
    this.#entries = subscriptions.map(([filter, schema]) => ({ filter, schema }));
    this.deadLetters = new DeadLetterBox(unit.name, options.deadLetters, this.#now());
    const clientId = options.clientId ?? `modt-${unit.name}`;
    this.link = new MqttLink({
      url: options.mqttUrl,
      clientId,
      subscriptions: this.#entries.map((e) => e.filter),
      onMessage: (topic, payload, packet) => this.#receive(topic, payload, packet.dup === true),
      reconnectMaxMs: options.reconnectMaxMs,
      maxInFlight: options.maxInFlight,
    });
    if (unit.records === true && options.store === undefined) {
      const message = `unit ${unit.name} declares records: true but was given no history store`;
      throw new ModtFailure(ErrorCodes.SETTING_INVALID, message);
    }
    if (options.store !== undefined) {
      this.#writer = new RecordWriter(options.store, (err) => {
        const reason = err.message;
        this.emit('store-error', { unit: this.unit.name, code: ErrorCodes.STORE_FAILED, reason });
      });
    }
    this.outbox = new MqttLink({
      url: options.mqttUrl,
      clientId: `${clientId}-out`,
      subscriptions: [],
      onMessage: async () => undefined,
      persistent: false,
      reconnectMaxMs: options.reconnectMaxMs,
    });
    for (const event of ['ready', 'down', 'redeliver'] as const) {
      this.link.on(event, (detail) => this.emit(event, detail));
    }
    this.link.on('problem', this.#problem);
    this.outbox.on('problem', this.#problem);
  }

  /**
   * A problem of either connection, once: both connect to one broker at once, so a broker
   * that is away fails both with the same reason in the same moment, which is one problem.
   */
  #problem = (problem: LinkProblem): void => {
    const now = this.#now();
    const last = this.#lastProblem;
    if (last?.reason === problem.reason && now - last.at < SAME_PROBLEM_WITHIN_MS) return;
    this.#lastProblem = { reason: problem.reason, at: now };
    this.emit('problem', problem);
  };

  /** Resolves once both connections are up and the subscriptions held. */
  async waitReady(timeoutMs: number): Promise<void> {
    await Promise.all([this.link.waitReady(timeoutMs), this.outbox.waitReady(timeoutMs)]);
  }

  /** Stops taking messages, finishes those in flight, disconnects; once, however often called. */
  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    this.#stopping = true;
    this.link.drain();
    this.#writer?.stopping();
    const timeoutMs = this.#options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
    // A message whose outputs the broker does not take in time is left unacknowledged: the
    // receiving link closes first, so the broker gives it to the next process.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    const idle = new Promise<void>((resolve) => {
      if (this.#inFlight === 0) resolve();
      else this.#whenIdle = resolve;
    });
    await Promise.race([idle, late]);
    clearTimeout(timer);
    await this.link.close(timeoutMs);
    await this.outbox.close(timeoutMs);
    // A store that is away (Redis restarting, say) may not answer a polite close at all.
    const closed = this.#options.store?.close().catch(() => undefined);
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
  }

  #receive(topic: string, payload: Buffer, redelivered: boolean): Promise<void> {
    // A message that arrives while stopping is left unacknowledged: the broker keeps it in
    // the unit's session and delivers it to the next process.
    if (this.#stopping) return Promise.reject(new Error(`unit ${this.unit.name} is stopping`));
    // Across a reconnect too, a message still on the way when the link dropped stays ahead of
    // its redelivered copy: its publishes went out first, its records are first in the writer.
    const work = this.#handle(topic, payload, redelivered);
    this.#inFlight += 1;
    work.then(this.#forget, this.#forget);
    return work;
  }

  #forget = (): void => {
    this.#inFlight -= 1;
    if (this.#inFlight === 0) this.#whenIdle?.();
  };

  #now(): number {
    return (this.#options.clock ?? Date.now)();
  }

  async #handle(topic: string, bytes: Buffer, redelivered: boolean): Promise<void> {
    this.stats.received += 1;
    this.emit('received', { unit: this.unit.name, topic } satisfies Received);
    const entry = this.#entryFor(topic);
    if (entry === undefined) return;

    let payload: unknown = bytes;
    if (entry.schema !== RAW) {
      const maxBytes = this.#options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
      const decoded = decodePayload(bytes, entry.schema, maxBytes);
      if (!decoded.ok) return this.#refuse(topic, bytes, decoded.error);
      payload = decoded.value;
    }

    const context: UnitContext = {
      unit: this.unit.name,
      now: new Date(this.#now()),
      settings: this.#options.settings,
      redelivered,
    };
    const started = performance.now();
    const outputs = callHandler(this.unit, topic, payload, context);
    const handlerMs = performance.now() - started;
    if (!Array.isArray(outputs)) return this.#refuse(topic, bytes, outputs);

    const done = await this.#perform(topic, outputs);
    this.stats.handled += 1;
    this.emit('handled', { unit: this.unit.name, topic, handlerMs, ...done } satisfies Handled);
  }

  #entryFor(topic: string) {
    for (const entry of this.#entries) if (topicMatches(entry.filter, topic)) return entry;
    return undefined;
  }

  /** Sends the outputs on their way at once, in order, then waits for all of them. */
  async #perform(topic: string, outputs: Output[]): Promise<Performed> {
    // The publishes on their way, then the append of the records, if any.
    const waits: Promise<void>[] = [];
    const records: HistoryRecord[] = [];
    const maxPacketBytes = this.#options.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES;
    for (const output of outputs) {
      if (output.kind === 'record') {
        if (this.#writer !== undefined) records.push(output.record);
        else this.#drop(topic, modtError(ErrorCodes.OUTPUT_UNDECLARED, NO_RECORDS));
        continue;
      }
      const prepared = prepareOutput(this.unit, output, maxPacketBytes);
      if ('code' in prepared) {
        this.#drop(topic, prepared);
        continue;
      }
      waits.push(this.outbox.publish(output.topic, prepared.body, output.qos, output.retain));
    }

    // The store retries until it has the records: the message stays unacknowledged, so
    // nothing is lost meanwhile.
    if (records.length > 0) waits.push(this.#writer!.append(records));
    if (waits.length === 1) await waits[0];
    else if (waits.length > 1) await Promise.all(waits);
    const published = waits.length - (records.length > 0 ? 1 : 0);
    this.stats.published += published;
    this.stats.recorded += records.length;
    return { published, recorded: records.length };
  }

  /** Drops a message and announces it as a dead letter, within the rate. */
  #refuse(topic: string, bytes: Buffer, error: ModtError): Promise<void> {
    this.#drop(topic, error);
    const letter = this.deadLetters.letterFor(topic, bytes, error, this.#now());
    if (letter === null) return Promise.resolve();
    this.stats.deadLetters += 1;
    const sent = this.outbox.publish(this.deadLetters.topic, JSON.stringify(letter), 1);
    return sent.catch(() => undefined);
  }

  #drop(topic: string, error: ModtError): void {
    this.stats.dropped[error.code] = (this.stats.dropped[error.code] ?? 0) + 1;
    const drop: Drop = { unit: this.unit.name, topic, code: error.code, reason: error.message };
    this.emit('drop', drop);
  }
}
