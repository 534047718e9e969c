// Doors.tsx: the doors (/doors), each with the areas it leads from and into, its mode
// (card, card + PIN, unlocked on a schedule, locked down), its timings and what it does on
// power loss. With doors.write: add a door, change one, delete one after a confirmation.
import { useState } from 'preact/hooks';
import { api, Page } from '../lib/api';
import { Area, Door, names, Schedule, Site } from '../lib/model';
import { can, useSession } from '../lib/session';
import { Confirm, Empty, ErrorBox, Field, fieldError, Loading, Named, Select, Table, useAction, useFocusOnOpen, useGet } from '../lib/ui';

const MODES: [Door['mode'], string][] = [
  ['card', 'card'],
  ['card_pin', 'card and PIN'],
  ['unlocked_schedule', 'unlocked on a schedule'],
  ['locked_down', 'locked down'],
];
const FIELDS = ['name', 'site_id', 'from_area_id', 'to_area_id', 'mode', 'unlock_schedule_id', 'unlock_ms', 'held_open_s', 'fail'];

function DoorForm(props: { door?: Door; sites: Site[]; areas: Area[]; schedules: Schedule[]; onDone: () => void; onCancel?: () => void }) {
  const d = props.door;
  const [name, setName] = useState(d?.name ?? '');
  const [site, setSite] = useState(String(d?.site_id ?? props.sites[0]?.id ?? ''));
  const [from, setFrom] = useState(String(d?.from_area_id ?? ''));
  const [to, setTo] = useState(String(d?.to_area_id ?? ''));
  const [mode, setMode] = useState<string>(d?.mode ?? 'card');
  const [sched, setSched] = useState(String(d?.unlock_schedule_id ?? ''));
  const [unlock, setUnlock] = useState(String((d?.unlock_ms ?? 5000) / 1000));
  const [held, setHeld] = useState(String(d?.held_open_s ?? 30));
  const [fail, setFail] = useState<string>(d?.fail ?? 'secure');
  const save = useAction(() => {
    const body = {
      name,
      from_area_id: Number(from) || null,
      to_area_id: Number(to) || null,
      mode,
      unlock_schedule_id: mode === 'unlocked_schedule' ? Number(sched) || null : null,
      unlock_ms: Math.round(Number(unlock) * 1000),
      held_open_s: Number(held),
      fail,
    };
    return d ? api('PATCH', `/api/v1/doors/${d.id}`, body) : api('POST', '/api/v1/doors', { ...body, site_id: Number(site) });
  }, props.onDone);
  const areaOptions = [['', '(none)'], ...props.areas.filter((a) => String(a.site_id) === site).map((a): [string, string] => [String(a.id), a.name])] as [string, string][];
  const e = (f: string) => fieldError(save.error, f);
  const p = d ? `door-${d.id}` : 'door-new';
  const opened = useFocusOnOpen<HTMLFormElement>();
  return (
    <form ref={d ? opened : undefined} class="inline-form" aria-label={d ? `Change ${d.name}` : 'Add a door'} onSubmit={(ev) => (ev.preventDefault(), save.run())}>
      <Field id={`${p}-name`} label="Name" value={name} onInput={setName} required error={e('name')} />
      {!d && <Select id={`${p}-site`} label="Site" value={site} onChange={(v) => (setSite(v), setFrom(''), setTo(''))} options={props.sites.map((s) => [String(s.id), s.name])} error={e('site_id')} />}
      <Select id={`${p}-from`} label="From area" value={from} onChange={setFrom} options={areaOptions} error={e('from_area_id')} />
      <Select id={`${p}-to`} label="Into area" value={to} onChange={setTo} options={areaOptions} error={e('to_area_id')} />
      <Select id={`${p}-mode`} label="Mode" value={mode} onChange={setMode} options={MODES} error={e('mode')} />
      {mode === 'unlocked_schedule' && (
        <Select id={`${p}-sched`} label="Unlocked during" value={sched} onChange={setSched} options={[['', '(choose)'], ...props.schedules.map((s): [string, string] => [String(s.id), s.name])]} error={e('unlock_schedule_id')} />
      )}
      <Field id={`${p}-unlock`} label="Unlock time (s)" value={unlock} onInput={setUnlock} inputmode="numeric" error={e('unlock_ms')} />
      <Field id={`${p}-held`} label="Held open after (s)" value={held} onInput={setHeld} inputmode="numeric" error={e('held_open_s')} />
      <Select id={`${p}-fail`} label="On power loss" value={fail} onChange={setFail} options={[['secure', 'stays locked (fail secure)'], ['safe', 'unlocks (fail safe)']]} error={e('fail')} />
      <button type="submit" class="primary">
        {d ? 'Save' : 'Add the door'}
      </button>
      {props.onCancel && (
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      )}
      {save.error !== null && !FIELDS.some((f) => e(f)) && <ErrorBox error={save.error} />}
    </form>
  );
}

export function Doors() {
  const { session } = useSession();
  const [doors, reload] = useGet<Page<Door>>('/api/v1/doors?limit=1000');
  const [sites] = useGet<Page<Site>>('/api/v1/sites?limit=1000');
  const [areas] = useGet<Page<Area>>('/api/v1/areas?limit=1000');
  const [schedules] = useGet<Page<Schedule>>(can(session, 'schedules.read') ? '/api/v1/schedules?limit=1000' : null, { items: [], next_cursor: null });
  const [editing, setEditing] = useState<Door | null>(null);
  const [doomed, setDoomed] = useState<Door | null>(null);
  const del = useAction((d: Door) => api('DELETE', `/api/v1/doors/${d.id}`), () => (setDoomed(null), reload()));
  const write = can(session, 'doors.write');
  const ready = sites.state === 'ok' && areas.state === 'ok' && schedules.state === 'ok';
  const area = names(areas.state === 'ok' ? areas.data.items : []);
  const sched = names(schedules.state === 'ok' ? schedules.data.items : []);
  const site = names(sites.state === 'ok' ? sites.data.items : []);
  const forms = ready && { sites: sites.data.items, areas: areas.data.items, schedules: schedules.data.items };
  return (
    <section aria-labelledby="doors-title">
      <h1 id="doors-title">Doors</h1>
      {doors.state === 'loading' && <Loading what="doors" />}
      {doors.state === 'error' && <ErrorBox error={doors.error} retry={reload} />}
      {doors.state === 'ok' &&
        (doors.data.items.length === 0 ? (
          <Empty>No doors yet.{write ? ' Add the first one below.' : ' An administrator or facilities adds them.'}</Empty>
        ) : (
          <Table
            caption={`${doors.data.items.length} doors`}
            rows={doors.data.items}
            rowKey={(d) => d.id}
            columns={[
              { title: 'Name', cell: (d) => d.name },
              { title: 'Site', cell: (d) => site.get(d.site_id) ?? `#${d.site_id}` },
              { title: 'From → into', cell: (d) => `${d.from_area_id === null ? '—' : (area.get(d.from_area_id) ?? `#${d.from_area_id}`)} → ${d.to_area_id === null ? '—' : (area.get(d.to_area_id) ?? `#${d.to_area_id}`)}` },
              {
                title: 'Mode',
                cell: (d) =>
                  (MODES.find(([m]) => m === d.mode)?.[1] ?? d.mode) + (d.unlock_schedule_id !== null ? ` (${sched.get(d.unlock_schedule_id) ?? `#${d.unlock_schedule_id}`})` : ''),
              },
              { title: 'Unlock', cell: (d) => `${d.unlock_ms / 1000} s` },
              { title: 'Held open after', cell: (d) => `${d.held_open_s} s` },
              { title: 'On power loss', cell: (d) => (d.fail === 'safe' ? 'unlocks' : 'stays locked') },
              {
                title: 'Actions',
                cell: (d) =>
                  write && (
                    <span class="actions">
                      <button type="button" onClick={() => setEditing(d)}>
                        <Named verb="Change" what={d.name} />
                      </button>
                      <button type="button" onClick={() => setDoomed(d)}>
                        <Named verb="Delete" what={d.name} />
                      </button>
                    </span>
                  ),
              },
            ]}
          />
        ))}
      {doomed && (
        <Confirm title={`Delete the door ${doomed.name}?`} action="Delete" onConfirm={() => del.run(doomed)} onCancel={() => (setDoomed(null), del.clear())} error={del.error}>
          <p>Its access level entries go with it; events that name it keep its id.</p>
        </Confirm>
      )}
      {write && forms && editing && <DoorForm key={editing.id} door={editing} {...forms} onDone={() => (setEditing(null), reload())} onCancel={() => setEditing(null)} />}
      {write && forms && !editing && forms.sites.length > 0 && (
        <>
          <h2>Add a door</h2>
          <DoorForm {...forms} onDone={reload} />
        </>
      )}
    </section>
  );
}
