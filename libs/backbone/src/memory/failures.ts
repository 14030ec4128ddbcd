// Failure injection for the memory backbone, so that layers above it (and the contract
// suite) can test what happens when the shared store fails, the way a Redis outage would
// show up. Flip a switch on a live backbone:
//
//   backbone.failures.append = true;    // append() rejects, nothing is delivered
//   backbone.failures.retained = true;  // retained.set/get/topics reject, nothing changes
//   backbone.failures.sessions = true;  // sessions.claim/load/save/delete reject, nothing changes
//   backbone.failures.queues = true;    // queues.push/take/length/clear reject, nothing changes
//   backbone.failures.replay = true;    // replay() rejects before handing anything over
//   backbone.failures.ready = false;    // isReady() returns false (operations still work)
//
// A failing operation rejects with `Error('injected failure: <operation>')` before it
// touches the store. Switches are per backbone instance: on a shared MemoryHub, failing
// one node leaves the others working, like one node losing its Redis connection.

/** Per-instance switches; `true` makes that group of operations reject. */
export interface FailureSwitches {
  append: boolean;
  retained: boolean;
  sessions: boolean;
  queues: boolean;
  replay: boolean;
  /** `false` makes `isReady()` report false. */
  ready: boolean;
}

export function createFailureSwitches(): FailureSwitches {
  return { append: false, retained: false, sessions: false, queues: false, replay: false, ready: true };
}

/** The error a switched-off operation rejects with. */
export function injectedFailure(operation: string): Error {
  return new Error(`injected failure: ${operation}`);
}
