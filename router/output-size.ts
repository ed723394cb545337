/**
 * The exact size on the wire of an MQTT 3.1.1 PUBLISH of this topic and payload, so it can be
 * checked against the broker's packet limit before it is sent (field case C04: a packet over
 * the limit is refused by the broker and resent forever). Counted, not encoded: one byte of
 * packet type and flags, the remaining length as a variable-length integer (7 bits a byte),
 * the topic with its 2-byte length, the packet id when QoS > 0, and the payload.
 * `output-size.test.ts` holds it to what mqtt-packet, the client's own encoder, produces.
 */
export function publishPacketBytes(topic: string, payload: Buffer, qos: 0 | 1 | 2): number {
  const remaining = 2 + Buffer.byteLength(topic, 'utf8') + (qos > 0 ? 2 : 0) + payload.length;
  return 1 + varintBytes(remaining) + remaining;
}

function varintBytes(n: number): number {
  if (n < 128) return 1;
  if (n < 16_384) return 2;
  if (n < 2_097_152) return 3;
  return 4;
}
