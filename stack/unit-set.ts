import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { ErrorCodes, ModtFailure } from '../protocol/index.ts';
import {
  importUnit,
  observeRunner,
  startUnit,
  unitFiles,
  type AnyUnit,
  type Env,
  type Logger,
  type MetricsRegistry,
  type UnitRunner,
} from '../router/index.ts';
import { unitNameMismatch } from './unit-file-name.ts';

export interface UnitSetOptions {
  /** The stack's environment, the broker's URL in it. */
  env: Env;
  /** Where every runner counts. */
  metrics: MetricsRegistry;
  /** The logger of one unit. */
  logger: (unit: string) => Logger;
  /** How long a restarted unit may take to connect before it is reported anyway. */
  readyTimeoutMs?: number;
}

interface Running {
  unit: AnyUnit;
  runner: UnitRunner;
  retire: () => void;
}

/** What a reload did, for the `reloaded`, `added` and `removed` events. */
export interface UnitChange {
  file: string;
  unit: string;
  ready: boolean;
}

/** Why a reload left things as they were (`reload-failed`). */
export interface ReloadFailure {
  file: string;
  reason: string;
  /** Whether a unit of the file runs on as it was; false for a file that is new. */
  kept: boolean;
}

const READY_TIMEOUT_MS = 10_000;

/**
 * The units of one folder, each on a runner of its own: started together, then one file at
 * a time reloaded, added or removed while the others keep their connections. A file that
 * does not import, or whose unit is not named after it, leaves the running unit as it was.
 * Emits `reloaded`, `added`, `removed` and `reload-failed`.
 */
export class UnitSet extends EventEmitter {
  #options: UnitSetOptions;
  #running = new Map<string, Running>();
  #version = 0;
  #queue: Promise<void> = Promise.resolve();

  constructor(options: UnitSetOptions) {
    super();
    this.#options = options;
  }

  /**
   * Starts every unit of the folder and waits, up to the ready timeout, for each to be
   * subscribed, so that what the stack prints next is true; one that is not by then goes on
   * connecting by itself. Every file is imported and checked before any unit connects: a
   * file that does not import, or whose unit is not named after it, rejects naming it.
   * Resolves with whether every unit was subscribed in time.
   */
  async startAll(folder: string): Promise<boolean> {
    const loaded: [string, AnyUnit][] = [];
    for (const file of unitFiles(folder)) {
      const unit = await importUnit(file).catch((err: Error) => {
        const code = err instanceof ModtFailure ? err.code : ErrorCodes.UNIT_INVALID;
        const named = err.message.startsWith(file) ? err.message : `${file}: ${err.message}`;
        throw new ModtFailure(code, named.replace(file, basename(file)));
      });
      // Named after its file, no unit has another's name, and so no other's client id.
      const mismatch = unitNameMismatch(file, unit);
      if (mismatch !== undefined) throw new Error(mismatch);
      loaded.push([file, unit]);
    }
    checkClientIds(this.#options.env, loaded.map(([, unit]) => unit.name));

    const runners = loaded.map(([file, unit]) => this.#start(file, unit));
    const timeoutMs = this.#options.readyTimeoutMs ?? READY_TIMEOUT_MS;
    const ready = runners.map((r) => r.waitReady(timeoutMs).then(() => true, () => false));
    return (await Promise.all(ready)).every(Boolean);
  }

  /** The units running now. */
  get units(): AnyUnit[] {
    return [...this.#running.values()].map((r) => r.unit);
  }

  /** Reads a unit file again and restarts its unit; changes are taken one at a time. */
  reload(file: string): Promise<void> {
    const next = this.#queue.then(() => this.#reload(file));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async stopAll(): Promise<void> {
    await this.#queue;
    const running = [...this.#running.values()];
    this.#running.clear();
    await Promise.allSettled(running.map((r) => this.#stop(r)));
  }

  async #reload(file: string): Promise<void> {
    const old = this.#running.get(file);
    if (!existsSync(file)) {
      if (old === undefined) return;
      this.#running.delete(file);
      await this.#stop(old);
      this.emit('removed', { file, unit: old.unit.name, ready: false } satisfies UnitChange);
      return;
    }

    let unit: AnyUnit;
    try {
      unit = await importUnit(file, ++this.#version);
    } catch (err) {
      return this.#failed(file, (err as Error).message);
    }
    const mismatch = unitNameMismatch(file, unit);
    if (mismatch !== undefined) return this.#failed(file, mismatch);
    const others = [...this.#running].filter(([f]) => f !== file).map(([, r]) => r.unit.name);
    try {
      checkClientIds(this.#options.env, [...others, unit.name]);
    } catch (err) {
      return this.#failed(file, (err as Error).message);
    }

    if (old !== undefined) await this.#stop(old);
    const runner = this.#start(file, unit);
    const timeoutMs = this.#options.readyTimeoutMs ?? READY_TIMEOUT_MS;
    const ready = await runner.waitReady(timeoutMs).then(() => true, () => false);
    const change: UnitChange = { file, unit: unit.name, ready };
    this.emit(old === undefined ? 'added' : 'reloaded', change);
  }

  #start(file: string, unit: AnyUnit): UnitRunner {
    const { env, metrics, logger } = this.#options;
    const runner = startUnit(unit, env, logger(unit.name));
    this.#running.set(file, { unit, runner, retire: observeRunner(metrics, runner) });
    return runner;
  }

  async #stop({ runner, retire }: Running): Promise<void> {
    await runner.stop();
    retire();
  }

  #failed(file: string, reason: string): void {
    const kept = this.#running.has(file);
    this.emit('reload-failed', { file, reason, kept } satisfies ReloadFailure);
  }
}

/**
 * One stack, one broker: no two of its connections may share a client id, or each would
 * close the other's at every connect (MQTT 3.1.4-2). A unit connects as MODT_CLIENT_ID, or
 * `modt-<unit>`, and publishes on a second connection, `<id>-out`; the gateway connects as
 * MODT_GATEWAY_CLIENT_ID, or `modt-gateway`.
 */
function checkClientIds(env: Env, units: readonly string[]): void {
  const shared = env.MODT_CLIENT_ID || undefined;
  if (shared !== undefined && units.length > 1) {
    const message = `MODT_CLIENT_ID: one unit's client id, but this stack runs ${units.length} ` +
      `units (${units.join(', ')}), which would share it; unset it: each takes modt-<unit>`;
    throw new ModtFailure(ErrorCodes.SETTING_INVALID, message);
  }

  const gateway = env.MODT_GATEWAY_CLIENT_ID || 'modt-gateway';
  const unit = units.find((name) => {
    const id = shared ?? `modt-${name}`;
    return gateway === id || gateway === `${id}-out`;
  });
  if (unit !== undefined) {
    const message = `MODT_GATEWAY_CLIENT_ID: '${gateway}' is the client id of the unit ${unit}`;
    throw new ModtFailure(ErrorCodes.SETTING_INVALID, message);
  }
}
