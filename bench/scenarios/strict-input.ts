import { isUtf8 } from 'node:buffer';
import {
  AppDisplay,
  AppReady,
  AuthSuccess,
  checkValue,
  decodeJson,
  decodePayload,
} from '../../protocol/index.ts';
import { alternate } from '../support/micro.ts';
import { figure, type Figure } from '../support/report.ts';
import type { BenchContext, Scenario, ScenarioResult } from '../support/scenario.ts';

const SESSION_ID = '6f1c2a4e-3b5d-4c7e-9f80-1a2b3c4d5e6f';

const payloads = {
  'auth/success': {
    schema: AuthSuccess,
    value: {
      user_id: 'bench-17',
      session_id: SESSION_ID,
      role: 'user',
      timestamp: '2026-12-03T10:07:04.123Z',
    },
  },
  'app/ready': {
    schema: AppReady,
    value: {
      session_id: SESSION_ID,
      redirect_url: 'http://127.0.0.1:8080/apps/dummy-app/',
      app_name: 'dummy-app',
    },
  },
  'app/display': {
    schema: AppDisplay,
    value: {
      session_id: SESSION_ID,
      app_name: 'dummy-app',
      title: 'Welcome, ユーザー',
      items: [
        { label: 'User', value: 'ユーザー' },
        { label: 'Role', value: 'user' },
        { label: 'Logged in at', value: '2026-12-03T10:07:04.123Z' },
        { label: 'Ready at', value: '2026-12-03T10:07:04.125Z' },
      ],
    },
  },
};

/**
 * The cost per message of MoDT's strict input (UTF-8 check, no BOM, JSON.parse, lone
 * surrogates, the compiled schema) against `JSON.parse` alone, one payload of each kind.
 */
export const strictInput: Scenario = {
  name: 'strict input',
  async run(context: BenchContext): Promise<ScenarioResult> {
    const rounds = context.quick ? 3 : 11;
    const msPerRound = context.quick ? 25 : 60;
    const figures: Figure[] = [];
    const details: Record<string, unknown> = {};

    for (const [topic, { schema, value }] of Object.entries(payloads)) {
      const bytes = Buffer.from(JSON.stringify(value), 'utf8');
      const text = bytes.toString('utf8');
      const parsed = JSON.parse(text);
      const ns = alternate(
        {
          strict: () => decodePayload(bytes, schema),
          parse: () => JSON.parse(bytes.toString('utf8')),
          // The steps of `strict`, each alone, to say where its time goes.
          utf8: () => isUtf8(bytes),
          text: () =>
            Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'),
          parseText: () => JSON.parse(text),
          json: () => decodeJson(bytes),
          schema: () => checkValue(parsed, schema),
        },
        rounds,
        msPerRound,
      );
      context.log(`strict input ${topic}: ${JSON.stringify(ns)}`);
      // What decodeJson does past UTF-8, decoding and JSON.parse: its shape and surrogate checks.
      const checks = ns.json! - ns.utf8! - ns.text! - ns.parseText!;
      details[topic] = {
        bytes: bytes.length,
        nsPerCall: { ...ns, shapeAndSurrogateChecks: checks },
      };
      figures.push(
        figure({
          scenario: 'strict input',
          measure: `ns per ${topic} (${bytes.length} B)`,
          unit: 'ns',
          product: ns.strict!,
          baseline: ns.parse!,
          baselineName: 'JSON.parse(buf.toString())',
          target: '≤ 1.3×',
          meets: (r) => r <= 1.3,
        }),
      );
    }
    return { figures, details };
  },
};
