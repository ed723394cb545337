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

/** What decodeJson decodes with: the UTF-8 check and the decoding in one. */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

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
 * The cost per message of MoDT's strict input (no BOM, UTF-8 check, JSON.parse, duplicate and
 * forbidden keys, depth, lone surrogates, the compiled schema) against `JSON.parse` alone, one
 * payload of each kind.
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
          text: () => bytes.toString(),
          decode: () => utf8.decode(bytes),
          parseText: () => JSON.parse(text),
          json: () => decodeJson(bytes),
          schema: () => checkValue(parsed, schema),
          // The floor for `strict`: the baseline and the schema, on a freshly parsed value.
          parseSchema: () => checkValue(JSON.parse(bytes.toString()), schema),
        },
        rounds,
        msPerRound,
      );
      context.log(`strict input ${topic}: ${JSON.stringify(ns)}`);
      // What decodeJson does past the baseline's decoding and JSON.parse, less what its own
      // decoding costs more: mostly the shape and surrogate checks. Both parse fresh strings.
      const checks = ns.json! - ns.parse! - (ns.decode! - ns.text!);
      details[topic] = {
        bytes: bytes.length,
        nsPerCall: {
          ...ns,
          shapeAndSurrogateChecks: checks,
          freshSchema: ns.parseSchema! - ns.parse!,
        },
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
