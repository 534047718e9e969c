// merkle.ts: checking the audit log in the browser, independently of the server's code:
// RFC 9162 leaf and node hashes (SHA-256 with 0x00 / 0x01 prefixes, WebCrypto), an
// inclusion proof folded as RFC 9162 section 2.1.3.2 says, and a signed tree head's
// Ed25519 signature over "gatehouse-sth-v1" || size || time (64-bit big endian) || root.

export interface TreeHead {
  size: number;
  time_us: number;
  time: string;
  root: string; /* hex */
  signature: string; /* base64 */
  public_key: string; /* base64 */
}

/** Bytes WebCrypto takes (backed by an ArrayBuffer, not a SharedArrayBuffer). */
export type Bytes = Uint8Array<ArrayBuffer>;

export function hexToBytes(hex: string): Bytes {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function bytesToHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

function base64ToBytes(s: string): Bytes {
  return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
}

async function sha256(parts: Uint8Array[]): Promise<Bytes> {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) all.set(p, (at += p.length) - p.length);
  return new Uint8Array(await crypto.subtle.digest('SHA-256', all));
}

/** SHA-256(0x00 || the entry's bytes, exactly as the log holds them). */
export function leafHash(entryText: string): Promise<Bytes> {
  return sha256([new Uint8Array([0]), new TextEncoder().encode(entryText)]);
}

function nodeHash(left: Uint8Array, right: Uint8Array): Promise<Bytes> {
  return sha256([new Uint8Array([1]), left, right]);
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** RFC 9162 2.1.3.2: whether leaf is at index in the tree of this size whose head is root.
 *  (Arithmetic, not bit operators: indexes may pass 2^31.) */
export async function verifyInclusion(index: number, size: number, leaf: Bytes, proof: Bytes[], root: Bytes): Promise<boolean> {
  if (index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  const odd = (x: number) => x % 2 === 1;
  const half = (x: number) => Math.floor(x / 2);
  for (const p of proof) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      r = await nodeHash(p, r);
      while (!odd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && same(r, root);
}

function be64(n: number): Bytes {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}

/** Whether the head's signature checks with its public key: true, false, or null when this
 *  browser has no Ed25519 in WebCrypto. */
export async function verifyHead(h: TreeHead): Promise<boolean | null> {
  const msg = new Uint8Array(64);
  msg.set(new TextEncoder().encode('gatehouse-sth-v1'), 0);
  msg.set(be64(h.size), 16);
  msg.set(be64(h.time_us), 24);
  msg.set(hexToBytes(h.root), 32);
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey('raw', base64ToBytes(h.public_key), { name: 'Ed25519' }, false, ['verify']);
  } catch {
    return null;
  }
  return crypto.subtle.verify({ name: 'Ed25519' }, key, base64ToBytes(h.signature), msg);
}

/** A short fingerprint of a public key to compare with one noted earlier: SHA-256, 16 hex. */
export async function keyFingerprint(publicKey: string): Promise<string> {
  return bytesToHex(await sha256([base64ToBytes(publicKey)])).slice(0, 16);
}
