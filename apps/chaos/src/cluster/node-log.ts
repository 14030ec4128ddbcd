// What the nodes wrote: pino JSON lines on stdout/stderr. The suite reads the warnings and
// errors logged after a fault to show what the cluster said about it.

export interface NodeLogLine {
  readonly nodeId: string;
  readonly time: number;
  readonly level: number;
  readonly msg: string;
  readonly fields: Record<string, unknown>;
}

/** pino's level numbers: 40 is warn, 50 error, 60 fatal. */
export const WARN_LEVEL = 40;

/** Every JSON log line of one node's output at `minLevel` or above, written at or after `since`. */
export function logLinesSince(
  nodeId: string,
  output: string,
  since: number,
  minLevel = WARN_LEVEL,
): NodeLogLine[] {
  const lines: NodeLogLine[] = [];
  for (const text of output.split('\n')) {
    if (!text.startsWith('{')) continue;
    let fields: Record<string, unknown>;
    try {
      fields = JSON.parse(text) as Record<string, unknown>;
    } catch {
      continue; // a line cut at the end of the buffer, or not pino's
    }
    const time = typeof fields.time === 'number' ? fields.time : 0;
    const level = typeof fields.level === 'number' ? fields.level : 0;
    if (time < since || level < minLevel) continue;
    lines.push({ nodeId, time, level, msg: String(fields.msg ?? ''), fields });
  }
  return lines;
}

/** Non-JSON lines (uncaught errors, console.error of a lib) after the first `skip` characters. */
export function plainLinesAfter(output: string, skip: number): string[] {
  return output
    .slice(skip)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('{'));
}

/** Fields of a log line worth showing beside its message: whom it is about. */
const SUBJECT_FIELDS = ['clientId', 'deadNode', 'sessions', 'lost', 'err'];

/** Log lines grouped by message: "msg [clientId=sub-1] (node-a ×3, node-b ×1)", most frequent first. */
export function summarizeLog(lines: readonly NodeLogLine[]): string[] {
  const byMsg = new Map<string, Map<string, number>>();
  for (const line of lines) {
    const subject = SUBJECT_FIELDS.filter((f) => line.fields[f] !== undefined)
      .map((f) => `${f}=${JSON.stringify(line.fields[f])}`)
      .join(' ');
    const text = subject === '' ? line.msg : `${line.msg} [${subject}]`;
    const nodes = byMsg.get(text) ?? new Map<string, number>();
    nodes.set(line.nodeId, (nodes.get(line.nodeId) ?? 0) + 1);
    byMsg.set(text, nodes);
  }
  const total = (nodes: Map<string, number>) => [...nodes.values()].reduce((a, b) => a + b, 0);
  return [...byMsg.entries()]
    .sort((a, b) => total(b[1]) - total(a[1]))
    .map(([msg, nodes]) => `${msg} (${[...nodes].map(([n, c]) => `${n} ×${c}`).join(', ')})`);
}
