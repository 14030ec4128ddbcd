// Process and machine figures from /proc (Linux): CPU time and RSS of a pid, the machine's
// cores, CPU model and memory, and the open-file limit.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

let clockTicks: number | undefined;

/** USER_HZ, the unit of utime/stime in /proc/<pid>/stat (almost always 100). */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** User + system CPU seconds used so far by `pid`, or undefined once it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name (which may hold spaces): state is field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]); // field 14
    const stime = Number(fields[12]); // field 15
    return (utime + stime) / ticksPerSecond();
  } catch {
    return undefined;
  }
}

/** Resident set size and its peak, in bytes, from /proc/<pid>/status. */
export function memory(pid: number): { rssBytes: number; peakRssBytes: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) =>
      Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { rssBytes: kb('VmRSS'), peakRssBytes: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

/** Busy CPU seconds of the whole machine (all cores, every process), from /proc/stat. */
export function hostCpuSeconds(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
    const [user, nice, system, idle, iowait, irq, softirq, steal] = line
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    void idle;
    void iowait;
    return (user + nice + system + irq + softirq + (steal ?? 0)) / ticksPerSecond();
  } catch {
    return 0;
  }
}

/** CPU% between two calls to `read` of what `seconds` counts (100 = one core busy). */
export class CpuMeter {
  private last: { at: number; seconds: number };

  constructor(private readonly seconds: () => number) {
    this.last = { at: performance.now(), seconds: seconds() };
  }

  /** CPU% of a set of pids (read again each time, so the set may change). */
  static forPids(pids: () => readonly number[]): CpuMeter {
    return new CpuMeter(() => pids().reduce((sum, pid) => sum + (cpuSeconds(pid) ?? 0), 0));
  }

  /** CPU% of the whole machine: with the broker's and the load's, shows what else was running. */
  static forHost(): CpuMeter {
    return new CpuMeter(hostCpuSeconds);
  }

  /** CPU% since the previous call (or construction), and restarts the interval. */
  read(): number {
    const now = { at: performance.now(), seconds: this.seconds() };
    const elapsed = (now.at - this.last.at) / 1000;
    const pct = elapsed > 0 ? ((now.seconds - this.last.seconds) / elapsed) * 100 : 0;
    this.last = now;
    return Math.max(0, pct);
  }
}

export interface MachineInfo {
  hostname: string;
  cores: number;
  cpuModel: string;
  memoryBytes: number;
  kernel: string;
  node: string;
  openFilesLimit: number | undefined;
}

export function machineInfo(): MachineInfo {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpuModel = m[1].trim();
  } catch {
    // not Linux: keep os.cpus()
  }
  return {
    hostname: os.hostname(),
    cores: os.availableParallelism(),
    cpuModel,
    memoryBytes: os.totalmem(),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    openFilesLimit: openFilesLimit(),
  };
}

/** `ulimit -n` of this process (children inherit it), from /proc/self/limits or a shell. */
export function openFilesLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (m) return m[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(m[1]);
  } catch {
    // fall through to the shell
  }
  try {
    const out = execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
    return out === 'unlimited' ? Number.POSITIVE_INFINITY : Number(out);
  } catch {
    return undefined;
  }
}
