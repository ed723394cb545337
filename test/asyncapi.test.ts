import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { asyncApiFile } from '../bin/asyncapi-command.ts';
import { FUNCTIONS } from '../bin/paths.ts';
import { GATEWAY_READS, GATEWAY_WRITES } from '../gateway/bus-topics.ts';
import { Topics, deadLetterTopic, schemaByTopic } from '../protocol/index.ts';
import { loadUnits, type AnyUnit } from '../router/index.ts';

interface Ref {
  $ref: string;
}

interface Document {
  asyncapi: string;
  channels: Record<string, { address: string; messages: Record<string, { $ref: string }> }>;
  operations: Record<string, { action: string; channel: Ref; messages: Ref[] }>;
  components: { messages: Record<string, { payload: unknown }>; schemas: Record<string, unknown> };
}

/** The value a local `$ref` points to in the document, or undefined. */
function resolve(document: unknown, ref: string): unknown {
  assert.match(ref, /^#\//);
  return ref
    .slice(2)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], document);
}

describe('asyncapi.yaml', () => {
  let document: Document;
  let units: AnyUnit[];
  before(async () => {
    document = parse(await readFile((await asyncApiFile()).path, 'utf8'));
    units = await loadUnits(FUNCTIONS);
  });

  test('is what modt asyncapi derives from the schemas and the declarations', async () => {
    const { path, text } = await asyncApiFile();
    const stale = `${path} is stale: run npm run modt -- asyncapi`;
    assert.equal(await readFile(path, 'utf8'), text, stale);
  });

  test('is an AsyncAPI 3 document whose every $ref resolves', () => {
    assert.equal(document.asyncapi, '3.0.0');
    const refs = JSON.stringify(document).match(/"\$ref":"[^"]+"/g) ?? [];
    assert.ok(refs.length > 0);
    for (const ref of refs) {
      const target = ref.slice('"$ref":"'.length, -1);
      assert.notEqual(resolve(document, target), undefined, `${target} resolves`);
    }
  });

  test('has a channel for every topic of schemaByTopic, its payload that JSON Schema', () => {
    const channels = Object.values(document.channels);
    for (const [topic, schema] of Object.entries(schemaByTopic)) {
      const address = topic.replace('+', topic === Topics.appDisplays ? '{app_name}' : '{unit}');
      const channel = channels.find((c) => c.address === address);
      assert.ok(channel, `a channel for ${topic}`);
      const [message] = Object.values(channel.messages);
      const { payload: ref } = resolve(document, message!.$ref) as { payload: Ref };
      const payload = resolve(document, ref.$ref);
      assert.deepEqual(payload, JSON.parse(JSON.stringify(schema)));
    }
    assert.ok(channels.some((c) => c.address === 'modt/dead/{unit}'), 'the dead-letter channel');
    const display = channels.find((c) => c.address === 'modt/app/display/{app_name}');
    assert.ok(display, 'one channel for every app’s display topic');
    assert.ok(!channels.some((c) => c.address === 'modt/app/display'), 'no shared display topic');
  });

  test('has an operation for each read and write of the gateway and of each unit', () => {
    const operations = Object.keys(document.operations);
    const has = (account: string, action: string, topic: string) => {
      const id = topic
        .replace(/^modt\/dead\/.*/, 'modt/dead/unit')
        .replace(/^modt\/app\/display\/.*/, 'modt/app/display/app_name')
        .replace(/^\$/, '')
        .replace(/\//g, '-');
      assert.ok(operations.includes(`${account}.${action}.${id}`), `${account} ${action} ${topic}`);
    };
    for (const topic of GATEWAY_READS) has('gateway', 'receive', topic);
    const gatewayWrites = [...GATEWAY_WRITES, deadLetterTopic('gateway')];
    for (const topic of gatewayWrites) has('gateway', 'send', topic);
    for (const unit of units) {
      const exact = (topics: string[]) => topics.filter((t) => !/[+#]/.test(t));
      const writes = exact([...unit.publishes, deadLetterTopic(unit.name)]);
      for (const topic of writes) has(unit.name, 'send', topic);
      for (const filter of exact(Object.keys(unit.subscribe))) has(unit.name, 'receive', filter);
    }
    for (const channel of Object.keys(document.channels)) {
      assert.ok(operations.includes(`monitor.receive.${channel}`), `the monitor reads ${channel}`);
    }
  });
});
