// Property values as the PUBLISH encoder may write them. A message's properties come back
// from the Redis log, a session queue or a retained store, written by whatever node version
// stored them: a value of the wrong shape (an array where one value belongs, as mqtt-packet
// makes of a repeated property; a number out of range; text too long for its length
// prefix) must not make the encoding throw for every reader. Each function returns the value
// the wire can carry, or undefined to leave the property out; the first of an array wins.
/** Longest string or binary value a two-byte length prefix can describe. */
const MAX_PREFIXED_BYTES = 0xffff;
/** Largest Subscription Identifier (a variable byte integer, §3.3.2.3.8). */
const MAX_SUBSCRIPTION_ID = 268_435_455;

/** An unsigned integer of at most `max`. */
export function uintValue(value: unknown, max: number): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max ? v : undefined;
}

/** A UTF-8 string that fits its length prefix. */
export function textValue(value: unknown): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (typeof v !== 'string') return undefined;
  // A UTF-16 unit is at most 3 UTF-8 bytes: only long strings need counting.
  return v.length * 3 <= MAX_PREFIXED_BYTES || Buffer.byteLength(v) <= MAX_PREFIXED_BYTES ? v : undefined;
}

/** Binary data that fits its length prefix. */
export function bytesValue(value: unknown): Buffer | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  let bytes: Buffer | undefined;
  if (Buffer.isBuffer(v)) bytes = v;
  else if (v instanceof Uint8Array) bytes = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return bytes && bytes.length <= MAX_PREFIXED_BYTES ? bytes : undefined;
}

/** Subscription identifiers (1 to 268,435,455), one or several. */
export function subscriptionIdsValue(value: unknown): number[] | undefined {
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  const ids = list.filter((id): id is number => uintValue(id, MAX_SUBSCRIPTION_ID) !== undefined && id > 0);
  return ids.length > 0 ? ids : undefined;
}

/**
 * User properties as ordered pairs, from pairs or mqtt-packet's object form (a repeated key
 * holds an array). Pairs whose key or value is not text are left out.
 */
export function userPairsValue(value: unknown): Array<[string, string]> | undefined {
  if (Array.isArray(value)) {
    // Nearly always every pair is fine: then the array itself is written, with no copy.
    if (value.every(isTextPair)) return value.length > 0 ? value : undefined;
    const pairs = value.filter(isTextPair).map(([k, v]): [string, string] => [k, v]);
    return pairs.length > 0 ? pairs : undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const pairs: Array<[string, string]> = [];
  for (const [key, values] of Object.entries(value)) {
    for (const v of Array.isArray(values) ? values : [values]) {
      if (v === null || v === undefined || typeof v === 'object') continue;
      const pair: [string, string] = [key, String(v)];
      if (isTextPair(pair)) pairs.push(pair);
    }
  }
  return pairs.length > 0 ? pairs : undefined;
}

function isTextPair(pair: unknown): pair is [string, string] {
  return (
    Array.isArray(pair) &&
    pair.length === 2 &&
    textValue(pair[0]) === pair[0] &&
    textValue(pair[1]) === pair[1]
  );
}
