// Levels.tsx: access levels (/levels): a level is a set of doors, each with the schedule
// during which it opens; people hold levels (see a person's page). /levels lists them,
// /levels/ID shows one with its doors. With levels.write: add or delete a level, add a door
// to it (or change the door's schedule), take a door out.
import { useState } from 'preact/hooks';
import { api, Page } from '../lib/api';
import { Door, Level, LevelDoor, names, Schedule } from '../lib/model';
import { link, navigate, usePath } from '../lib/router';
import { can, useSession } from '../lib/session';
import { Confirm, Empty, ErrorBox, Field, fieldError, Loading, Named, Select, Table, useAction, useGet } from '../lib/ui';

const none = { items: [], next_cursor: null };

function LevelView({ id }: { id: string }) {
  const { session } = useSession();
  const write = can(session, 'levels.write');
  const [level, reloadLevel] = useGet<Level>(`/api/v1/levels/${id}`);
  const [rows, reload] = useGet<Page<LevelDoor>>(`/api/v1/levels/${id}/doors?limit=1000`);
  const [doors] = useGet<Page<Door>>(can(session, 'doors.read') ? '/api/v1/doors?limit=1000' : null, none);
  const [schedules] = useGet<Page<Schedule>>(can(session, 'schedules.read') ? '/api/v1/schedules?limit=1000' : null, none);
  const [door, setDoor] = useState('');
  const [sched, setSched] = useState('');
  const put = useAction(() => api('PUT', `/api/v1/levels/${id}/doors/${door}`, { schedule_id: Number(sched) }), () => (setDoor(''), reload()));
  const out = useAction((d: LevelDoor) => api('DELETE', `/api/v1/levels/${id}/doors/${d.door_id}`), reload);
  if (level.state === 'loading') return <Loading what="the access level" />;
  if (level.state === 'error') return <ErrorBox error={level.error} retry={reloadLevel} />;
  const doorName = names(doors.state === 'ok' ? doors.data.items : []);
  const schedName = names(schedules.state === 'ok' ? schedules.data.items : []);
  return (
    <section aria-labelledby="level-title">
      <p>
        <a {...link('/levels')}>← Access levels</a>
      </p>
      <h1 id="level-title">{level.data.name}</h1>
      {rows.state === 'loading' && <Loading what="its doors" />}
      {rows.state === 'error' && <ErrorBox error={rows.error} retry={reload} />}
      {rows.state === 'ok' &&
        (rows.data.items.length === 0 ? (
          <Empty>No doors in this level yet: it opens nothing.</Empty>
        ) : (
          <Table
            caption={`${rows.data.items.length} doors`}
            rows={rows.data.items}
            rowKey={(r) => r.door_id}
            columns={[
              { title: 'Door', cell: (r) => doorName.get(r.door_id) ?? `#${r.door_id}` },
              { title: 'Opens during', cell: (r) => schedName.get(r.schedule_id) ?? `#${r.schedule_id}` },
              {
                title: 'Action',
                cell: (r) =>
                  write && (
                    <button type="button" onClick={() => out.run(r)}>
                      <Named verb="Take out" what={doorName.get(r.door_id) ?? `#${r.door_id}`} />
                    </button>
                  ),
              },
            ]}
          />
        ))}
      {out.error !== null && <ErrorBox error={out.error} />}
      {write && doors.state === 'ok' && schedules.state === 'ok' && (
        <form class="inline-form" aria-label="Add a door to the level" onSubmit={(e) => (e.preventDefault(), put.run())}>
          <Select id="ld-door" label="Door" value={door} onChange={setDoor} options={[['', '(choose)'], ...doors.data.items.map((d): [string, string] => [String(d.id), d.name])]} />
          <Select id="ld-sched" label="Opens during" value={sched} onChange={setSched} options={[['', '(choose)'], ...schedules.data.items.map((s): [string, string] => [String(s.id), s.name])]} error={fieldError(put.error, 'schedule_id')} />
          <button type="submit" disabled={!door || !sched}>
            Add the door (or change its schedule)
          </button>
          {put.error !== null && !fieldError(put.error, 'schedule_id') && <ErrorBox error={put.error} />}
        </form>
      )}
    </section>
  );
}

function LevelList() {
  const { session } = useSession();
  const write = can(session, 'levels.write');
  const [levels, reload] = useGet<Page<Level>>('/api/v1/levels?limit=1000');
  const [name, setName] = useState('');
  const [doomed, setDoomed] = useState<Level | null>(null);
  const add = useAction(() => api<Level>('POST', '/api/v1/levels', { name }).then((l) => navigate(`/levels/${l.id}`)));
  const del = useAction((l: Level) => api('DELETE', `/api/v1/levels/${l.id}`), () => (setDoomed(null), reload()));
  return (
    <section aria-labelledby="levels-title">
      <h1 id="levels-title">Access levels</h1>
      {levels.state === 'loading' && <Loading what="access levels" />}
      {levels.state === 'error' && <ErrorBox error={levels.error} retry={reload} />}
      {levels.state === 'ok' &&
        (levels.data.items.length === 0 ? (
          <Empty>No access levels yet. A level groups doors with the schedules they open during; people are given levels.</Empty>
        ) : (
          <Table
            caption={`${levels.data.items.length} access levels`}
            rows={levels.data.items}
            rowKey={(l) => l.id}
            columns={[
              { title: 'Name', cell: (l) => <a {...link(`/levels/${l.id}`)}>{l.name}</a> },
              {
                title: 'Action',
                cell: (l) =>
                  write && (
                    <button type="button" onClick={() => setDoomed(l)}>
                      <Named verb="Delete" what={l.name} />
                    </button>
                  ),
              },
            ]}
          />
        ))}
      {doomed && (
        <Confirm title={`Delete the access level ${doomed.name}?`} action="Delete" onConfirm={() => del.run(doomed)} onCancel={() => (setDoomed(null), del.clear())} error={del.error}>
          <p>Everyone who holds it loses the doors it opens, at once.</p>
        </Confirm>
      )}
      {write && (
        <form class="inline-form" aria-label="Add an access level" onSubmit={(e) => (e.preventDefault(), add.run())}>
          <Field id="level-name" label="New access level" value={name} onInput={setName} required error={fieldError(add.error, 'name')} />
          <button type="submit">Add the level</button>
          {add.error !== null && !fieldError(add.error, 'name') && <ErrorBox error={add.error} />}
        </form>
      )}
    </section>
  );
}

export function Levels() {
  const id = /^\/levels\/(\d+)$/.exec(usePath())?.[1];
  return id ? <LevelView key={id} id={id} /> : <LevelList />;
}
