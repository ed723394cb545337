// Preloaded (`node --expose-gc -r`) into a server the bench did not write, the gateway's own
// bundle among them, so the bench can ask it for its memory after a full GC over IPC.
'use strict';
const { readFileSync } = require('node:fs');
const v8 = require('node:v8');

function rssBytes() {
  const status = readFileSync('/proc/self/status', 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) * 1024;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 200));

process.on('message', async (command) => {
  if (!command || command.cmd !== 'memory') return;
  // Full collections with pauses between, for the allocators to hand freed pages back.
  for (let i = 0; i < 3; i++) {
    globalThis.gc();
    await settle();
  }
  const usage = process.memoryUsage();
  // The V8 heap's resident part: RSS less this is what lives outside it (native memory).
  const { total_physical_size: heapResident } = v8.getHeapStatistics();
  process.send({ type: 'memory-done', ...usage, rss: rssBytes(), heapResident });
});
process.on('disconnect', () => process.exit(0));
