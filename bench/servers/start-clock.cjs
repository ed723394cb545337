// Preloaded (`node -r`) into a unit's bundle: tells the bench, in CLOCK_MONOTONIC ms (the
// clock all processes share, as bench/support/clock.ts reads it), when node had
// booted (this file runs) and when the bundle had been evaluated (the first turn of the loop),
// so a start time splits into boot, module load, and connecting and subscribing.
'use strict';
const monoMs = () => Number(process.hrtime.bigint()) / 1e6;
const booted = monoMs();
setImmediate(() => process.send?.({ type: 'clock', booted, loaded: monoMs() }));
