/**
 * Hashes of texts from a few of their characters, for the memos that remember work by values
 * (verdict-memo.ts, line-finds.ts). Hashing a whole text would read every character of it, as
 * V8 does for a `Map` key, which costs about as much as the work remembered. A weak hash costs
 * time, never a wrong result: the memos compare the texts that share a hash.
 */

const HASH_START = 0x811c9dc5;

/** Mixes a number into a running hash (FNV-1a's step on 32 bits). */
export function mix(hash: number, value: number): number {
  return Math.imul(hash ^ value, 0x01000193);
}

/** Hashes a text's length and up to 16 of its characters, from its start, middle and end. */
export function sampledHash(text: string): number {
  const length = text.length;
  let hash = mix(HASH_START, length);
  if (length <= 16) {
    for (let at = 0; at < length; at++) hash = mix(hash, text.charCodeAt(at));
    return hash;
  }
  const step = length >> 3;
  for (let at = 0; at < 8; at++) hash = mix(hash, text.charCodeAt(at * step + 1));
  for (let at = length - 8; at < length; at++) hash = mix(hash, text.charCodeAt(at));
  return hash;
}

/** The running hash before anything is mixed in. */
export const SAMPLED_HASH_START = HASH_START;
