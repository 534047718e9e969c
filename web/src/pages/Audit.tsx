// Audit.tsx: the audit log for auditors and administrators (/audit, audit.read). The latest
// signed tree head with its Ed25519 signature checked here in the browser (WebCrypto) and
// the key's fingerprint to compare with one noted earlier; the whole log verified by the
// server on demand, problems named by index; the entries, filtered by text or by who, each
// one's inclusion proof checked here against the signed head: the entry's exact bytes
// hashed, the proof folded up to the root (src/lib/merkle.ts). Every reading of the log,
// this page's included, is itself an entry.
import { useEffect, useState } from 'preact/hooks';
import { api, Page } from '../lib/api';
import { hexToBytes, keyFingerprint, leafHash, TreeHead, verifyHead, verifyInclusion } from '../lib/merkle';
import { Empty, ErrorBox, Field, Loading, Named, Table, useAction, useGet } from '../lib/ui';

interface Entry {
  index: number;
  time: string;
  entry: Record<string, unknown>;
}

interface EntryProof extends Entry {
  entry_text: string;
  leaf_hash: string;
  inclusion: { size: number; time_us: number; root: string; signature: string; hashes: string[] } | null;
}

interface Verification {
  verified: boolean;
  entries: number;
  heads: number;
  problem_count: number;
  problems: { index: number; what: string }[];
  checked_at: string;
  duration_ms: number;
}

type Check = { state: 'checking' } | { state: 'ok' | 'bad' | 'pending'; words: string };

const PAGE = 50;

function text(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v);
}

/** The head, its signature checked here. */
function HeadPanel({ head }: { head: TreeHead }) {
  const [sig, setSig] = useState<boolean | null | undefined>(undefined);
  const [fp, setFp] = useState('');
  useEffect(() => {
    verifyHead(head).then(setSig, () => setSig(false));
    keyFingerprint(head.public_key).then(setFp);
  }, [head.root, head.signature]);
  return (
    <div class="summary" aria-label="Latest signed tree head">
      <dl>
        <div>
          <dt>Entries covered</dt>
          <dd>{head.size}</dd>
        </div>
        <div>
          <dt>Signed</dt>
          <dd>{new Date(head.time).toLocaleString()}</dd>
        </div>
        <div>
          <dt>Root</dt>
          <dd class="wrap mono" title={head.root}>
            {head.root.slice(0, 16)}…
          </dd>
        </div>
      </dl>
      <p role="status" class={sig === false ? 'field-error' : 'hint'}>
        {sig === undefined && 'Checking the signature…'}
        {sig === true && `Signature checked in this browser with the server key ${fp} (compare it with the one you noted).`}
        {sig === false && 'The signature of this tree head does NOT check with the server key.'}
        {sig === null && 'This browser cannot check Ed25519 signatures; use gatehouse audit verify.'}
      </p>
    </div>
  );
}

function VerifyPanel() {
  const [result, setResult] = useState<Verification | null>(null);
  const verify = useAction(async () => setResult(await api<Verification>('GET', '/api/v1/audit/verification')));
  return (
    <section aria-labelledby="audit-whole">
      <h2 id="audit-whole">The whole log</h2>
      <div class="toolbar">
        <p class="hint">The server hashes every entry again, rebuilds the tree at every signed head and checks each signature.</p>
        <button type="button" onClick={() => verify.run()} disabled={verify.busy}>
          {verify.busy ? 'Verifying…' : 'Verify the whole log'}
        </button>
      </div>
      {verify.error !== null && <ErrorBox error={verify.error} />}
      {result && (
        <div role="status">
          {result.verified ? (
            <p class="ok-text">
              Verified: {result.entries} entries, {result.heads} signed tree heads ({new Date(result.checked_at).toLocaleTimeString()}, {result.duration_ms} ms).
            </p>
          ) : (
            <>
              <p class="field-error">
                The log does NOT verify: {result.problem_count} problem{result.problem_count === 1 ? '' : 's'} in {result.entries} entries.
              </p>
              <ul>
                {result.problems.map((p) => (
                  <li key={`${p.index}-${p.what}`}>
                    Entry {p.index}: {p.what}
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}
    </section>
  );
}

/** Fetches the entry with its proof and checks it here: the entry's bytes hashed, the proof
 *  folded up to the root, and that root's head signed with the server's key. */
async function checkEntry(index: number, head: TreeHead | null): Promise<Check> {
  const e = await api<EntryProof>('GET', `/api/v1/audit/entries/${index}`);
  const leaf = await leafHash(e.entry_text);
  const inc = e.inclusion;
  if (inc === null) return { state: 'pending', words: 'Not yet covered by a signed tree head.' };
  const ok = await verifyInclusion(index, inc.size, leaf, inc.hashes.map(hexToBytes), hexToBytes(inc.root));
  if (!ok) return { state: 'bad', words: 'Does NOT match the signed tree head: this entry is not what was appended.' };
  const signed = head === null ? null : await verifyHead({ ...inc, time: '', public_key: head.public_key });
  if (signed === false) return { state: 'bad', words: `The tree head of ${inc.size} entries is NOT signed by the server key.` };
  return signed
    ? { state: 'ok', words: `Included in the signed tree head of ${inc.size} entries (checked here).` }
    : { state: 'ok', words: `Included in the tree of ${inc.size} entries (checked here; its signature could not be checked in this browser).` };
}

export function Audit() {
  const [head, reloadHead] = useGet<TreeHead>('/api/v1/audit/head');
  const [q, setQ] = useState('');
  const [who, setWho] = useState('');
  const [asked, setAsked] = useState<{ q: string; who: string; cursor: number | null }>({ q: '', who: '', cursor: null });
  const [checks, setChecks] = useState<Record<number, Check>>({});
  const signed = head.state === 'ok' ? head.data : null;
  /* unfiltered, the latest entries; filtered, from the start, page by page */
  const start = asked.cursor ?? (asked.q || asked.who ? 0 : Math.max(0, (signed?.size ?? 0) - PAGE));
  const params = new URLSearchParams({ limit: String(PAGE), cursor: String(start) });
  if (asked.q) params.set('q', asked.q);
  if (asked.who) params.set('who', asked.who);
  const [page, reload] = useGet<Page<Entry>>(head.state === 'loading' ? null : `/api/v1/audit/entries?${params}`, { items: [], next_cursor: null });
  const check = async (index: number) => {
    setChecks((c) => ({ ...c, [index]: { state: 'checking' } }));
    const result = await checkEntry(index, signed).catch((): Check => ({ state: 'bad', words: 'The entry or its proof could not be fetched.' }));
    setChecks((c) => ({ ...c, [index]: result }));
  };
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <section aria-labelledby="audit-head">
        <div class="toolbar">
          <h2 id="audit-head">Latest signed tree head</h2>
          <button type="button" onClick={() => (reloadHead(), reload())}>
            Refresh
          </button>
        </div>
        {head.state === 'loading' && <Loading what="the tree head" />}
        {head.state === 'error' && <Empty>No tree head has been signed yet: the server signs one within a second of the first change.</Empty>}
        {signed && <HeadPanel head={signed} />}
      </section>
      <VerifyPanel />
      <section aria-labelledby="audit-entries">
        <h2 id="audit-entries">Entries</h2>
        <form class="search" aria-label="Filter entries" onSubmit={(e) => (e.preventDefault(), setChecks({}), setAsked({ q, who, cursor: null }), reload())}>
          <Field id="audit-q" label="Text anywhere" value={q} onInput={setQ} />
          <Field id="audit-who" label="Who (exactly)" value={who} onInput={setWho} />
          <div class="field">
            <button type="submit" class="primary">
              Filter
            </button>
          </div>
        </form>
        {page.state === 'loading' && <Loading what="entries" />}
        {page.state === 'error' && <ErrorBox error={page.error} retry={reload} />}
        {page.state === 'ok' &&
          (page.data.items.length === 0 ? (
            <Empty>No entries {asked.q || asked.who ? 'match in this stretch of the log' : 'yet'}.</Empty>
          ) : (
            <Table
              caption={`Entries ${page.data.items[0].index} to ${page.data.items[page.data.items.length - 1].index}`}
              rows={page.data.items}
              rowKey={(e) => e.index}
              columns={[
                { title: 'Index', cell: (e) => e.index },
                { title: 'Time', cell: (e) => new Date(e.time).toLocaleString() },
                { title: 'Who', cell: (e) => text(e.entry.who) },
                { title: 'Action', cell: (e) => text(e.entry.action) },
                { title: 'Object or outcome', cell: (e) => text(e.entry.object ?? e.entry.outcome ?? e.entry.args) },
                {
                  title: 'Changes',
                  cell: (e) => (Array.isArray(e.entry.changes) ? `${e.entry.changes.length} row${e.entry.changes.length === 1 ? '' : 's'}` : '—'),
                },
                {
                  title: 'Proof',
                  cell: (e) => {
                    const c = checks[e.index];
                    if (c === undefined)
                      return (
                        <button type="button" onClick={() => check(e.index)}>
                          <Named verb="Check" what={`entry ${e.index}`} />
                        </button>
                      );
                    if (c.state === 'checking') return <span role="status">Checking…</span>;
                    return (
                      <span role="status" class={c.state === 'bad' ? 'field-error' : c.state === 'ok' ? 'ok-text' : 'hint'}>
                        {c.words}
                      </span>
                    );
                  },
                },
              ]}
            />
          ))}
        {page.state === 'ok' && page.data.next_cursor !== null && (
          <button type="button" onClick={() => setAsked({ ...asked, cursor: Number(page.data.next_cursor) })}>
            Later entries
          </button>
        )}
      </section>
    </section>
  );
}
