import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqttPacket from 'mqtt-packet';
import { publishPacketBytes } from './output-size.ts';

function encoded(topic: string, payload: Buffer, qos: 0 | 1 | 2): number {
  const messageId = qos > 0 ? 1 : undefined;
  const packet = {
    cmd: 'publish' as const,
    topic,
    payload,
    qos,
    messageId,
    retain: false,
    dup: false,
  };
  return mqttPacket.generate(packet).length;
}

test('the counted size of a publish is what mqtt-packet encodes, across length boundaries',
  () => {
    // Remaining lengths of 127/128, 16383/16384 and 2097151/2097152 change the header's size.
    const boundaries = [127, 128, 16_383, 16_384, 2_097_151, 2_097_152];
    const sizes = [0, 1, 50, ...boundaries.flatMap((b) => [b - 9, b - 8, b - 7, b - 6, b - 5])];
    const topics = ['t', 'modt/app/ready', 'modt/ü/日本', 'x'.repeat(300)];
    for (const topic of topics) {
      for (const size of sizes.filter((n) => n >= 0)) {
        const payload = Buffer.alloc(size, 0x61);
        for (const qos of [0, 1, 2] as const) {
          const what = `topic of ${topic.length} chars, ${size} bytes, QoS ${qos}`;
          assert.equal(publishPacketBytes(topic, payload, qos), encoded(topic, payload, qos), what);
        }
      }
    }
  });
