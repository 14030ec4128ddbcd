// MQTT filter matching for the ledger: which published topics a subscription asked for.
// The shared-group prefix `$share/{group}/` is not part of the filter proper.

export function innerFilter(filter: string): string {
  if (!filter.startsWith('$share/')) return filter;
  return filter.split('/').slice(2).join('/');
}

export function topicMatches(filter: string, topic: string): boolean {
  const f = innerFilter(filter).split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}
