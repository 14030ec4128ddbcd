// A connection's permissions: allowAll answers at once without asking; a provider's answer,
// synchronous or not, is asked once per topic and then answered synchronously.
import { describe, expect, it } from 'vitest';
import { type AccessControl, allowAll } from '../src/access-control.js';
import { ClientPermissions } from '../src/client-permissions.js';

const client = { protocol: 'mqtt', clientId: 'c' };

function counting(answer: (topic: string) => boolean | Promise<boolean>) {
  const asked: string[] = [];
  const access: AccessControl = {
    authenticate: () => ({ allowed: true, client }),
    authorizePublish: (_c, topic) => {
      asked.push(topic);
      return answer(topic);
    },
    authorizeSubscribe: (_c, filter) => {
      asked.push(`sub:${filter}`);
      return answer(filter);
    },
  };
  return { access, asked };
}

describe('ClientPermissions', () => {
  it('allowAll: every answer is true at once', () => {
    const permissions = new ClientPermissions(allowAll, client);
    expect(permissions.mayPublish('a/b')).toBe(true);
    expect(permissions.maySubscribe('#')).toBe(true);
  });

  it('a synchronous provider is asked once per topic and direction', () => {
    const { access, asked } = counting((topic) => !topic.startsWith('x'));
    const permissions = new ClientPermissions(access, client);
    expect([permissions.mayPublish('a'), permissions.mayPublish('a'), permissions.mayPublish('x')]).toEqual([
      true,
      true,
      false,
    ]);
    expect(permissions.maySubscribe('a')).toBe(true);
    expect(asked).toEqual(['a', 'x', 'sub:a']);
  });

  it('an asynchronous answer is a promise the first time and a value after', async () => {
    const { access, asked } = counting(async (topic) => topic === 'ok');
    const permissions = new ClientPermissions(access, client);
    const first = permissions.mayPublish('ok');
    expect(first).toBeInstanceOf(Promise);
    expect(await first).toBe(true);
    expect(permissions.mayPublish('ok')).toBe(true);
    expect(await permissions.mayPublish('no')).toBe(false);
    expect(permissions.mayPublish('no')).toBe(false);
    expect(asked).toEqual(['ok', 'no']);
  });

  it('the cache is bounded: the oldest topic is asked again after 256 others', () => {
    const { access, asked } = counting(() => true);
    const permissions = new ClientPermissions(access, client);
    permissions.mayPublish('t0');
    for (let i = 1; i <= 256; i++) permissions.mayPublish(`t${i}`);
    permissions.mayPublish('t0');
    expect(asked.filter((t) => t === 't0')).toHaveLength(2);
  });
});
