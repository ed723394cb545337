/**
 * Whether a topic name matches a subscription filter, by MQTT 3.1.1 section 4.7: `+`
 * matches one level, a final `#` the parent and any levels below it, and a filter that
 * starts with a wildcard does not match a topic that starts with `$` (4.7.2).
 */
export function topicMatches(filter: string, topic: string): boolean {
  // Most filters name one topic: no need to split either (this runs for every message).
  if (!filter.includes('+') && !filter.includes('#')) return filter === topic;
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;

  const filterLevels = filter.split('/');
  const topicLevels = topic.split('/');
  for (let i = 0; i < filterLevels.length; i++) {
    const level = filterLevels[i];
    if (level === '#') return true;
    if (i >= topicLevels.length) return false;
    if (level !== '+' && level !== topicLevels[i]) return false;
  }
  return filterLevels.length === topicLevels.length;
}

/** Whether a string is a valid subscription filter (MQTT 3.1.1 section 4.7.1). */
export function isValidFilter(filter: string): boolean {
  if (filter.length === 0 || filter.includes('\u0000')) return false;
  const levels = filter.split('/');
  return levels.every((level, i) => {
    if (level.includes('#')) return level === '#' && i === levels.length - 1;
    return !level.includes('+') || level === '+';
  });
}

/** Whether a string is a valid topic name to publish to (no wildcards, 4.7.3). */
export function isValidTopicName(topic: string): boolean {
  return topic.length > 0 && !/[+#\u0000]/.test(topic);
}
