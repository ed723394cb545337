// How long one package takes to load in a fresh process, from node_modules: what a unit's
// start time is made of before it connects. Prints `{ "module": …, "ms": … }` and exits.
'use strict';
const name = process.argv[2];
const began = performance.now();
require(name);
process.stdout.write(`${JSON.stringify({ module: name, ms: performance.now() - began })}\n`);
