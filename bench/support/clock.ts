/**
 * The one clock that several bench processes can compare: CLOCK_MONOTONIC as
 * process.hrtime reads it, alike in every process on the machine. The wall clock can step
 * under a run (NTP), which once put two processes 9 s apart here; and performance.now()
 * was seen drifting from it by a millisecond a second between processes. Every time that
 * crosses a process boundary is read from here.
 */
export function monoMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
