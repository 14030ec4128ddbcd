// Topic names and topic filters (MQTT 3.1.1 section 4.7, MQTT 5.0 sections 4.7 and 4.8).
//
// A topic name is what a PUBLISH carries (`a/b/c`); a topic filter is what a SUBSCRIBE
// carries and may hold the wildcards `+` (exactly one level) and `#` (any number of levels,
// including none, so `a/#` also matches `a`). Levels are separated by `/` and may be empty
// (`/a` has the levels `""` and `a`). Topics starting with `$` are reserved for the broker
// and are never matched by a filter starting with a wildcard.
//
// A shared subscription (MQTT 5) is `$share/{ShareName}/{filter}`. The functions here treat
// the `$share/{ShareName}/` prefix only in validation and `parseSharedFilter`; matching works
// on the inner filter, which the caller extracts first.

const SLASH = 0x2f; // '/'
const PLUS = 0x2b; // '+'
const HASH = 0x23; // '#'
const DOLLAR = 0x24; // '$'
const NUL = 0x00;

/** Longest encoded topic name or filter: a two-byte length prefix [MQTT-4.7.3-3]. */
export const MAX_TOPIC_BYTES = 65_535;

const SHARE_PREFIX = '$share/';

/** A shared subscription filter split into its share name and the filter it subscribes to. */
export interface SharedFilter {
  group: string;
  filter: string;
}

/**
 * True when `topic` may be published to: non-empty [MQTT-4.7.3-1], no wildcard characters
 * [MQTT-3.3.2-2] [MQTT-4.7.0-1], no U+0000 [MQTT-4.7.3-2], no unpaired surrogate, so that it
 * encodes to well-formed UTF-8 (3.1.1 [MQTT-1.5.3-1], 5.0 [MQTT-1.5.4-1]), and at most 65535
 * UTF-8 bytes [MQTT-4.7.3-3].
 */
export function validateTopicName(topic: string): boolean {
  if (topic.length === 0) return false; // [MQTT-4.7.3-1]
  for (let i = 0; i < topic.length; i++) {
    const c = topic.charCodeAt(i);
    if (c === PLUS || c === HASH || c === NUL) return false; // [MQTT-3.3.2-2] [MQTT-4.7.3-2]
    if (c >= 0xd800 && c <= 0xdfff) {
      if (!isSurrogatePair(topic, i)) return false; // [MQTT-1.5.3-1]
      i++;
    }
  }
  return fitsLength(topic);
}

/**
 * True when `filter` may be subscribed to: non-empty [MQTT-4.7.3-1]; `#` only as the whole
 * last level [MQTT-4.7.1-2]; `+` only as a whole level [MQTT-4.7.1-3]; no U+0000
 * [MQTT-4.7.3-2]; no unpaired surrogate [MQTT-1.5.3-1]; at most 65535 UTF-8 bytes [MQTT-4.7.3-3].
 * `$share/{group}/{filter}` is valid when the group is non-empty [MQTT-4.8.2-1], holds no
 * `/`, `+`, `#` and is followed by `/` and a valid non-empty filter [MQTT-4.8.2-2].
 */
export function validateTopicFilter(filter: string): boolean {
  if (filter.startsWith(SHARE_PREFIX)) {
    const shared = parseSharedFilter(filter);
    if (shared === undefined) return false; // [MQTT-4.8.2-1] [MQTT-4.8.2-2]
    for (let i = 0; i < shared.group.length; i++) {
      const c = shared.group.charCodeAt(i);
      if (c === PLUS || c === HASH) return false; // [MQTT-4.8.2-2]
    }
    return validatePlainFilter(shared.filter) && fitsLength(filter);
  }
  return validatePlainFilter(filter) && fitsLength(filter);
}

/**
 * Splits `$share/{group}/{filter}` into its parts. Returns undefined when `filter` does not
 * start with `$share/`, or the group or the inner filter is empty. This is a structural
 * split only: call `validateTopicFilter` for the full rules (it rejects `$share/g+/x`).
 */
export function parseSharedFilter(filter: string): SharedFilter | undefined {
  if (!filter.startsWith(SHARE_PREFIX)) return undefined;
  const slash = filter.indexOf('/', SHARE_PREFIX.length);
  if (slash <= SHARE_PREFIX.length) return undefined; // no group, or no `/` after it
  const inner = filter.slice(slash + 1);
  if (inner.length === 0) return undefined;
  return { group: filter.slice(SHARE_PREFIX.length, slash), filter: inner };
}

/**
 * True when the topic name `topic` matches the (non-shared) topic filter `filter`. Both are
 * assumed valid. `+` matches exactly one level, possibly empty; `#` matches the rest,
 * including nothing, so `a/#` matches `a` (section 4.7.1.2). A filter starting with `+` or `#`
 * never matches a topic starting with `$` [MQTT-4.7.2-1]. No allocation.
 */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.charCodeAt(0) === DOLLAR) {
    const first = filter.charCodeAt(0);
    if (first === PLUS || first === HASH) return false; // [MQTT-4.7.2-1]
  }
  const fLen = filter.length;
  const tLen = topic.length;
  let fi = 0; // start of the current filter level
  let ti = 0; // start of the current topic level; tLen + 1 once the topic is used up
  for (;;) {
    let fEnd = filter.indexOf('/', fi);
    if (fEnd < 0) fEnd = fLen;
    const fLevelLen = fEnd - fi;
    const fc = filter.charCodeAt(fi);
    if (fLevelLen === 1 && fc === HASH) return true; // the rest, or the parent itself
    if (ti > tLen) return false; // filter has a level the topic does not
    let tEnd = topic.indexOf('/', ti);
    if (tEnd < 0) tEnd = tLen;
    if (!(fLevelLen === 1 && fc === PLUS) && !sameLevel(filter, fi, topic, ti, fLevelLen, tEnd - ti)) {
      return false;
    }
    const fLast = fEnd === fLen;
    const tLast = tEnd === tLen;
    if (fLast) return tLast;
    fi = fEnd + 1;
    ti = tLast ? tLen + 1 : tEnd + 1;
  }
}

function validatePlainFilter(filter: string): boolean {
  const len = filter.length;
  if (len === 0) return false; // [MQTT-4.7.3-1]
  let levelStart = 0;
  for (let i = 0; i < len; i++) {
    const c = filter.charCodeAt(i);
    if (c === SLASH) {
      levelStart = i + 1;
    } else if (c === PLUS) {
      // [MQTT-4.7.1-3] `+` occupies a whole level
      if (i !== levelStart || (i + 1 < len && filter.charCodeAt(i + 1) !== SLASH)) return false;
    } else if (c === HASH) {
      // [MQTT-4.7.1-2] `#` is a whole level and the last one
      if (i !== levelStart || i !== len - 1) return false;
    } else if (c === NUL) {
      return false; // [MQTT-4.7.3-2]
    } else if (c >= 0xd800 && c <= 0xdfff) {
      if (!isSurrogatePair(filter, i)) return false; // [MQTT-1.5.3-1]
      i++;
    }
  }
  return true;
}

function sameLevel(a: string, ai: number, b: string, bi: number, aLen: number, bLen: number): boolean {
  if (aLen !== bLen) return false;
  for (let k = 0; k < aLen; k++) {
    if (a.charCodeAt(ai + k) !== b.charCodeAt(bi + k)) return false;
  }
  return true;
}

/** A high surrogate at `i` followed by a low surrogate: one code point, four UTF-8 bytes. */
function isSurrogatePair(s: string, i: number): boolean {
  const hi = s.charCodeAt(i);
  if (hi > 0xdbff || i + 1 >= s.length) return false;
  const lo = s.charCodeAt(i + 1);
  return lo >= 0xdc00 && lo <= 0xdfff;
}

/** [MQTT-4.7.3-3] A UTF-16 unit encodes to at most 3 UTF-8 bytes, so short strings skip the count. */
function fitsLength(s: string): boolean {
  return s.length * 3 <= MAX_TOPIC_BYTES || Buffer.byteLength(s, 'utf8') <= MAX_TOPIC_BYTES;
}
