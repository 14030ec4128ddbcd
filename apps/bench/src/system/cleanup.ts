// Things to undo however the bench ends: brokers and workers to stop on normal exit, on
// an error, and on Ctrl-C / SIGTERM. Each task runs once.

type Task = () => Promise<unknown> | unknown;

const tasks = new Set<Task>();
let installed = false;

/** Registers `task`; returns a function that runs it now and unregisters it. */
export function onCleanup(task: Task): () => Promise<void> {
  install();
  tasks.add(task);
  return async () => {
    if (!tasks.delete(task)) return;
    await task();
  };
}

export async function runCleanup(): Promise<void> {
  const pending = [...tasks];
  tasks.clear();
  await Promise.allSettled(pending.map(async (t) => t()));
}

function install(): void {
  if (installed) return;
  installed = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping brokers and workers\n`);
      const hardExit = setTimeout(() => process.exit(130), 5000);
      runCleanup().finally(() => {
        clearTimeout(hardExit);
        process.exit(130);
      });
    });
  }
}
