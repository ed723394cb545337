import mqttPacket from 'mqtt-packet';

/**
 * The exact size on the wire of a PUBLISH of this topic and payload, encoded by the same
 * library the client uses, so it can be checked against the broker's packet limit before it
 * is sent (field case C04: a packet over the limit is refused by the broker and resent forever).
 */
export function publishPacketBytes(topic: string, payload: Buffer, qos: 0 | 1 | 2): number {
  const packet = mqttPacket.generate({
    cmd: 'publish',
    topic,
    payload,
    qos,
    messageId: qos > 0 ? 1 : undefined,
    retain: false,
    dup: false,
  });
  return packet.length;
}
