// Debian packages the bench drives (mosquitto, redis-server): found on PATH or in the usual
// places, installed with `apt-get install -y` when missing and the bench runs as root
// (`apt-get update` first if the install fails on a stale package list).
import { spawnSync } from 'node:child_process';

/** The first of `candidates` (or `binary` on PATH) that is executable, else undefined. */
export function findBinary(binary: string, candidates: readonly string[]): string | undefined {
  const which = spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim() !== '') return which.stdout.trim();
  return candidates.find((p) => spawnSync('test', ['-x', p]).status === 0);
}

/**
 * `binary` from PATH or `candidates`; when missing, `apt-get install -y <pkg>` (as root),
 * then looked up again. Throws with the command to run when it cannot install.
 */
export function findOrInstall(binary: string, pkg: string, candidates: readonly string[]): string {
  const found = findBinary(binary, candidates);
  if (found !== undefined) return found;
  if (process.getuid?.() !== 0) {
    throw new Error(`${binary} is not installed; run \`sudo apt-get install -y ${pkg}\``);
  }
  process.stderr.write(`bench: ${binary} missing, running apt-get install -y ${pkg}\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () =>
    spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', pkg], { stdio: 'inherit', env });
  let result = install();
  if (result.status !== 0) {
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    result = install();
  }
  const installed = findBinary(binary, candidates);
  if (result.status !== 0 || installed === undefined) throw new Error(`apt-get install ${pkg} failed`);
  return installed;
}
