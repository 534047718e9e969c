// People.tsx: the HR view: people with their status and kind, and for one person their
// details and credentials, each revocable (revoked, lost, stolen or suspended, with a
// reason) after a confirmation by those allowed to. /people lists, /people/ID shows one,
// /people/import imports a roster (RosterImport.tsx).
import { useState } from 'preact/hooks';
import { api, Page } from '../lib/api';
import { link, usePath } from '../lib/router';
import { can, useSession } from '../lib/session';
import { Level, names } from '../lib/model';
import { Confirm, Empty, ErrorBox, Field, fieldError, Loading, Named, Select, Table, useAction, useDebounced, useGet } from '../lib/ui';
import { RosterImport } from './RosterImport';

interface Person {
  id: number;
  employee_id: string;
  first_name: string;
  last_name: string;
  email: string;
  title: string;
  kind: string;
  status: string;
  department_id: number | null;
}

interface Credential {
  id: number;
  format: string;
  facility: number;
  number: number;
  status: string;
  has_pin: boolean;
}

const SHOWN = 200; /* rows a list shows; a search narrows them */

const card = (c: Credential) => `${c.format}:${c.facility}:${c.number}`;

function PeopleList() {
  const { session } = useSession();
  const [q, setQ] = useState('');
  const query = useDebounced(q.trim(), 250);
  const [people, reload] = useGet<Page<Person>>(`/api/v1/people?limit=${SHOWN}${query ? `&q=${encodeURIComponent(query)}` : ''}`);
  const [deps] = useGet<Page<{ id: number; name: string }>>('/api/v1/departments?limit=1000');
  const dep = names(deps.state === 'ok' ? deps.data.items : []);
  return (
    <section aria-labelledby="people-title">
      <h1 id="people-title">People</h1>
      {can(session, 'imports.run') && (
        <p>
          <a class="button" {...link('/people/import')}>
            Import a roster
          </a>
        </p>
      )}
      <label>
        Find{' '}
        <input type="search" value={q} placeholder="name, employee id or e-mail" onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
      </label>
      {people.state === 'loading' && <Loading what="people" />}
      {people.state === 'error' && <ErrorBox error={people.error} retry={reload} />}
      {people.state === 'ok' &&
        (people.data.items.length === 0 ? (
          <Empty>{query ? `Nobody matches “${query}”.` : 'No people yet. HR imports a roster or adds them.'}</Empty>
        ) : (
          <Table
            caption={`${people.data.items.length} people${people.data.next_cursor ? ` (the first ${SHOWN}: narrow the search)` : ''}`}
            rows={people.data.items}
            rowKey={(p) => p.id}
            columns={[
              { title: 'Employee id', cell: (p) => <a {...link(`/people/${p.id}`)}>{p.employee_id}</a> },
              { title: 'Name', cell: (p) => `${p.first_name} ${p.last_name}` },
              { title: 'Department', cell: (p) => (p.department_id === null ? '' : (dep.get(p.department_id) ?? '')) },
              { title: 'Kind', cell: (p) => p.kind },
              { title: 'Status', cell: (p) => p.status },
            ]}
          />
        ))}
    </section>
  );
}

function Revoke({ c, onDone }: { c: Credential; onDone: () => void }) {
  const [open, setOpen] = useState(false);
  const [status, setStatus] = useState('revoked');
  const [reason, setReason] = useState('');
  const revoke = useAction(
    () => api('POST', `/api/v1/credentials/${c.id}/revoke`, { status, reason: reason || undefined }),
    () => (setOpen(false), onDone()),
  );
  if (!open)
    return (
      <button type="button" onClick={() => setOpen(true)}>
        Revoke {card(c)}
      </button>
    );
  return (
    <Confirm title={`Revoke card ${card(c)}?`} action="Revoke" onConfirm={() => revoke.run()} onCancel={() => (setOpen(false), revoke.clear())} error={revoke.error}>
      <p>Every door refuses it from now on.</p>
      <p>
        <label>
          Mark as{' '}
          <select value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}>
            <option value="revoked">revoked</option>
            <option value="lost">lost</option>
            <option value="stolen">stolen</option>
            <option value="suspended">suspended</option>
          </select>
        </label>{' '}
        <label>
          Reason <input value={reason} onInput={(e) => setReason((e.target as HTMLInputElement).value)} />
        </label>
      </p>
    </Confirm>
  );
}

function PersonView({ id }: { id: string }) {
  const { session } = useSession();
  const [person, reloadPerson] = useGet<Person>(`/api/v1/people/${id}`);
  const [creds, reload] = useGet<Page<Credential>>(`/api/v1/people/${id}/credentials`);
  const [deps] = useGet<Page<{ id: number; name: string }>>('/api/v1/departments?limit=1000');
  if (person.state === 'loading') return <Loading what="the person" />;
  if (person.state === 'error') return <ErrorBox error={person.error} retry={reloadPerson} />;
  const p = person.data;
  return (
    <section aria-labelledby="person-title">
      <p>
        <a {...link('/people')}>← People</a>
      </p>
      <h1 id="person-title">
        {p.first_name} {p.last_name} <small>({p.employee_id})</small>
      </h1>
      <p>
        {p.kind}, {p.status}
        {p.department_id !== null && deps.state === 'ok' && `, ${names(deps.data.items).get(p.department_id) ?? ''}`}
        {p.title && `, ${p.title}`}
        {p.email && ` · ${p.email}`}
      </p>
      {can(session, 'people.write') && <PersonStatus p={p} onDone={reloadPerson} onCards={reload} />}
      <h2>Credentials</h2>
      {creds.state === 'loading' && <Loading what="credentials" />}
      {creds.state === 'error' && <ErrorBox error={creds.error} retry={reload} />}
      {creds.state === 'ok' &&
        (creds.data.items.length === 0 ? (
          <Empty>No credentials.</Empty>
        ) : (
          <Table
            caption="Credentials"
            rows={creds.data.items}
            rowKey={(c) => c.id}
            columns={[
              { title: 'Card', cell: (c) => <code>{card(c)}</code> },
              { title: 'PIN', cell: (c) => (c.has_pin ? 'yes' : 'no') },
              { title: 'Status', cell: (c) => <span data-testid={`status-${c.id}`}>{c.status}</span> },
              {
                title: 'Action',
                cell: (c) => (c.status === 'active' && can(session, 'credentials.revoke') ? <Revoke c={c} onDone={reload} /> : ''),
              },
            ]}
          />
        ))}
      {can(session, 'credentials.write') && <NewCard person={p.id} onDone={reload} />}
      {can(session, 'levels.read') && <PersonLevels id={id} write={can(session, 'assignments.write')} />}
    </section>
  );
}

const STATUS_VERB: Record<string, string> = { active: 'Reactivate', on_leave: 'Put on leave', suspended: 'Suspend', terminated: 'Terminate' };
const STATUS_EFFECT: Record<string, string> = {
  active: 'Their active cards open the doors their levels allow.',
  on_leave: 'Every door refuses them while on leave; their cards stay as they are.',
  suspended: 'Every door refuses them until they are active again; their cards stay as they are.',
  terminated: 'Every door refuses them, and each of their cards is revoked (this cannot be undone by reactivating them).',
};

/** HR changes a person's status (the lifecycle), after a confirmation that says what follows. */
function PersonStatus({ p, onDone, onCards }: { p: Person; onDone: () => void; onCards: () => void }) {
  const [next, setNext] = useState(p.status);
  const [asking, setAsking] = useState(false);
  const change = useAction(() => api('PATCH', `/api/v1/people/${p.id}`, { status: next }), () => (setAsking(false), onDone(), onCards()));
  return (
    <form class="inline-form" aria-label="The person's status" onSubmit={(e) => (e.preventDefault(), setAsking(true))}>
      <Select
        id="person-status"
        label="Status"
        value={next}
        onChange={setNext}
        options={[
          ['active', 'active'],
          ['on_leave', 'on leave'],
          ['suspended', 'suspended'],
          ['terminated', 'terminated'],
        ]}
      />
      <button type="submit" disabled={next === p.status}>
        Change the status
      </button>
      {asking && (
        <Confirm title={`${STATUS_VERB[next]} ${p.first_name} ${p.last_name}?`} action={STATUS_VERB[next]} onConfirm={() => change.run()} onCancel={() => (setAsking(false), change.clear())} error={change.error}>
          <p>{STATUS_EFFECT[next]}</p>
        </Confirm>
      )}
    </form>
  );
}

/** HR enrolls a card for the person (FORMAT:FACILITY:NUMBER as the reader sends it, an optional PIN). */
function NewCard({ person, onDone }: { person: number; onDone: () => void }) {
  const [format, setFormat] = useState('h10301');
  const [facility, setFacility] = useState('');
  const [number, setNumber] = useState('');
  const [pin, setPin] = useState('');
  const add = useAction(
    () => api('POST', '/api/v1/credentials', { person_id: person, format, facility: Number(facility), number: Number(number), pin: pin || undefined }),
    () => (setNumber(''), setPin(''), onDone()),
  );
  const e = (f: string) => fieldError(add.error, f);
  return (
    <form class="inline-form" aria-label="Add a card" onSubmit={(ev) => (ev.preventDefault(), add.run())}>
      <Select id="card-format" label="Card format" value={format} onChange={setFormat} options={[['h10301', 'HID 26-bit (h10301)'], ['h10306', 'HID 34-bit (h10306)'], ['h10304', 'HID 37-bit (h10304)'], ['c1000', 'Corporate 1000 (c1000)']]} error={e('format')} />
      <Field id="card-facility" label="Facility code" value={facility} onInput={setFacility} inputmode="numeric" required error={e('facility')} />
      <Field id="card-number" label="Card number" value={number} onInput={setNumber} inputmode="numeric" required error={e('number')} />
      <Field id="card-pin" label="PIN (optional)" type="password" value={pin} onInput={setPin} inputmode="numeric" autocomplete="off" error={e('pin')} />
      <button type="submit">Add the card</button>
      {add.error !== null && !['format', 'facility', 'number', 'pin'].some(e) && <ErrorBox error={add.error} />}
    </form>
  );
}

interface Assignment {
  id: number;
  level_id: number;
  expires: string | null;
}

/** The access levels a person holds, with their expiry; given or taken by assignments.write. */
function PersonLevels({ id, write }: { id: string; write: boolean }) {
  const [held, reload] = useGet<Page<Assignment>>(`/api/v1/assignments?person_id=${id}&limit=1000`);
  const [levels] = useGet<Page<Level>>('/api/v1/levels?limit=1000');
  const [level, setLevel] = useState('');
  const [until, setUntil] = useState('');
  const give = useAction(
    () => api('PUT', `/api/v1/people/${id}/levels/${level}`, { expires: until ? new Date(`${until}T23:59:59`).toISOString() : null }),
    () => (setLevel(''), setUntil(''), reload()),
  );
  const take = useAction((a: Assignment) => api('DELETE', `/api/v1/people/${id}/levels/${a.level_id}`), reload);
  const name = names(levels.state === 'ok' ? levels.data.items : []);
  return (
    <>
      <h2>Access levels</h2>
      {held.state === 'loading' && <Loading what="access levels" />}
      {held.state === 'error' && <ErrorBox error={held.error} retry={reload} />}
      {held.state === 'ok' &&
        (held.data.items.length === 0 ? (
          <Empty>No access levels: their cards open no door.</Empty>
        ) : (
          <Table
            caption="Access levels held"
            rows={held.data.items}
            rowKey={(a) => a.id}
            columns={[
              { title: 'Level', cell: (a) => name.get(a.level_id) ?? `#${a.level_id}` },
              { title: 'Until', cell: (a) => (a.expires ? new Date(a.expires).toLocaleString() : 'no end') },
              {
                title: 'Action',
                cell: (a) =>
                  write && (
                    <button type="button" onClick={() => take.run(a)}>
                      <Named verb="Take away" what={name.get(a.level_id) ?? `#${a.level_id}`} />
                    </button>
                  ),
              },
            ]}
          />
        ))}
      {take.error !== null && <ErrorBox error={take.error} />}
      {write && levels.state === 'ok' && (
        <form class="inline-form" aria-label="Give an access level" onSubmit={(e) => (e.preventDefault(), give.run())}>
          <Select id="give-level" label="Give the level" value={level} onChange={setLevel} options={[['', '(choose)'], ...levels.data.items.map((l): [string, string] => [String(l.id), l.name])]} />
          <Field id="give-until" label="Until (the end of that day; empty: no end)" type="date" value={until} onInput={setUntil} error={fieldError(give.error, 'expires')} />
          <button type="submit" disabled={!level}>
            Give
          </button>
          {give.error !== null && !fieldError(give.error, 'expires') && <ErrorBox error={give.error} />}
        </form>
      )}
    </>
  );
}

export function People() {
  const path = usePath();
  const id = /^\/people\/(\d+)$/.exec(path)?.[1];
  if (path === '/people/import') return <RosterImport />;
  return id ? <PersonView id={id} /> : <PeopleList />;
}
