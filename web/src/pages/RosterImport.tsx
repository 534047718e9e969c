// RosterImport.tsx: HR's roster import (/people/import). The CSV file is checked first (a
// dry run: every row validated and applied, then rolled back) and either every error is
// listed by line, column and field, or what the import will do is summed up; only then
// can it be imported, in one transaction. A full roster terminates the people it leaves
// out, within a limit.
import { useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../lib/api';
import { link } from '../lib/router';
import { ErrorBox } from '../lib/ui';

interface Summary {
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  terminated: number;
  absent: number;
  credentials_revoked: number;
  reviews_opened: number;
  dry_run: boolean;
  unused_columns: string[];
}

const FIGURES: [keyof Summary, string][] = [
  ['rows', 'rows read'],
  ['created', 'people added'],
  ['updated', 'people changed'],
  ['unchanged', 'unchanged'],
  ['terminated', 'terminated'],
  ['absent', 'in gatehouse, not in the file'],
  ['credentials_revoked', 'cards revoked'],
  ['reviews_opened', 'access reviews opened'],
];

function SummaryView({ s }: { s: Summary }) {
  return (
    <div class="summary" role="status" aria-label={s.dry_run ? 'What the import will do' : 'What the import did'}>
      <h2>{s.dry_run ? 'The file is good. Importing it will:' : 'Imported.'}</h2>
      <dl>
        {FIGURES.map(([k, words]) => (
          <div key={k}>
            <dt>{words}</dt>
            <dd data-testid={`sum-${k}`}>{s[k] as number}</dd>
          </div>
        ))}
      </dl>
      {s.unused_columns.length > 0 && <p class="hint">Columns not used: {s.unused_columns.join(', ')}.</p>}
    </div>
  );
}

function Errors({ e }: { e: ApiError }) {
  if (e.errors.length === 0 || e.errors[0].line === undefined) return <ErrorBox error={e} />;
  return (
    <div class="state error" role="alert">
      <p>{e.message}</p>
      <table>
        <caption>Errors by line</caption>
        <thead>
          <tr>
            <th scope="col">Line</th>
            <th scope="col">Column</th>
            <th scope="col">Field</th>
            <th scope="col">Problem</th>
          </tr>
        </thead>
        <tbody>
          {e.errors.map((f, i) => (
            <tr key={i} data-testid="import-error">
              <td>{f.line}</td>
              <td>{f.column || ''}</td>
              <td>{f.field}</td>
              <td>{f.detail.startsWith(`${f.field}: `) ? f.detail.slice(f.field.length + 2) : f.detail}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function RosterImport() {
  const [file, setFile] = useState<File | null>(null);
  const [full, setFull] = useState(false);
  const [maxTerm, setMaxTerm] = useState('');
  const [columns, setColumns] = useState('');
  const [checked, setChecked] = useState<Summary | null>(null);
  const [done, setDone] = useState<Summary | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  /* any change to the file or the options asks for a new check; an answer to a request
   * made before the change is dropped (gen), so "Import" is only ever for what was checked */
  const gen = useRef(0);
  const changed = <T,>(set: (v: T) => void) => (v: T) => {
    gen.current++;
    set(v);
    setChecked(null);
    setDone(null);
    setError(null);
  };

  async function send(dryRun: boolean) {
    if (!file) return;
    const q = new URLSearchParams();
    if (dryRun) q.set('dry_run', 'true');
    if (full) q.set('full', 'true');
    if (full && maxTerm) q.set('max_terminations', maxTerm);
    if (columns.trim()) q.set('columns', columns.trim());
    const asked = gen.current;
    setBusy(true);
    setError(null);
    try {
      const s = await api<Summary>('POST', `/api/v1/imports/roster?${q}`, await file.text(), 'text/csv');
      if (gen.current !== asked) return;
      if (dryRun) setChecked(s);
      else (setDone(s), setChecked(null));
    } catch (e) {
      if (gen.current !== asked) return;
      setError(e);
      setChecked(null);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="import-title" class="import">
      <p>
        <a {...link('/people')}>← People</a>
      </p>
      <h1 id="import-title">Import a roster</h1>
      <p class="hint">
        A CSV file from HR, one person per line: employee_id, first_name, last_name, and any of email, department,
        title, manager_id, status, start_date, end_date, kind. People are matched by employee id; nothing changes
        unless every line is right.
      </p>
      <div class="field">
        <label for="roster-file">Roster file (CSV)</label>
        <input
          id="roster-file"
          type="file"
          accept=".csv,text/csv"
          disabled={busy}
          onChange={(e) => changed(setFile)((e.target as HTMLInputElement).files?.[0] ?? null)}
        />
      </div>
      <div class="field check">
        <input id="roster-full" type="checkbox" disabled={busy} checked={full} onChange={(e) => changed(setFull)((e.target as HTMLInputElement).checked)} />
        <label for="roster-full">This is the full roster: terminate the people it leaves out</label>
      </div>
      {full && (
        <div class="field">
          <label for="roster-max">At most this many terminations (empty: the server's guard)</label>
          <input
            id="roster-max"
            type="number"
            min="0"
            inputMode="numeric"
            value={maxTerm}
            onInput={(e) => changed(setMaxTerm)((e.target as HTMLInputElement).value)}
          />
        </div>
      )}
      <details>
        <summary>Columns named differently?</summary>
        <div class="field">
          <label for="roster-columns">Column mapping</label>
          <input
            id="roster-columns"
            value={columns}
            placeholder='employee_id=Worker ID,first_name="Given Name"'
            onInput={(e) => changed(setColumns)((e.target as HTMLInputElement).value)}
          />
        </div>
      </details>
      <p class="actions">
        <button type="button" class={checked ? '' : 'primary'} disabled={!file || busy} onClick={() => send(true)}>
          Check the file
        </button>
        <button type="button" class="primary" disabled={!checked || busy} onClick={() => send(false)}>
          {checked ? `Import ${checked.rows} rows` : 'Import'}
        </button>
      </p>
      {busy && (
        <p class="state" role="status">
          Working…
        </p>
      )}
      {error instanceof ApiError ? <Errors e={error} /> : error !== null && <ErrorBox error={error} />}
      {checked && <SummaryView s={checked} />}
      {done && (
        <>
          <SummaryView s={done} />
          <p>
            <a {...link('/people')}>See the people</a>
          </p>
        </>
      )}
    </section>
  );
}
