// Monitor.tsx: the live monitor: the event feed as it happens (virtualized: thousands of
// rows cost only the visible ones; filterable; pause and resume; doors and people by name),
// and the areas with the doors into them and their state (locked down, by the area or one
// around it; forced or held open, from the live events), each area locked down or released
// after a confirmation by those allowed to. A lockdown made elsewhere shows at once. Above
// them the alarms not yet cleared, most severe first, each acknowledged in one click by
// those allowed to, with its incident a link away; an alarm raised anywhere shows at once.
import { useMemo, useRef, useState } from 'preact/hooks';
import { api, Page } from '../lib/api';
import type { Area, Door } from '../lib/model';
import { PersonName } from '../lib/names';
import { link } from '../lib/router';
import { can, useSession } from '../lib/session';
import { GhEvent, useEventStream } from '../lib/stream';
import { Confirm, Empty, ErrorBox, Loading, useAction, useGet } from '../lib/ui';
import type { Loaded } from '../lib/ui';
import { reasonWords } from '../lib/words';
import { Alarm, alarmWords, severityWords, who } from '../lib/incidents';

const ROW = 28;
const VISIBLE = 18;

function Describe({ e, doors }: { e: GhEvent; doors: Map<number, Door> }) {
  const user = e.payload['user'];
  const action = e.payload['action'];
  return (
    <>
      {e.type}
      {e.decision && <span class="outcome"> · {e.decision === 'granted' ? 'granted' : `denied: ${reasonWords(e.reason)}`}</span>}
      {typeof action === 'string' && ` · ${action}`}
      {e.door_id !== null && (
        <>
          {' · '}
          <a {...link(`/investigate?door_id=${e.door_id}&type=access.decision`)} title="Investigate this door">
            {doors.get(e.door_id)?.name ?? `door #${e.door_id}`}
          </a>
        </>
      )}
      {e.person_id !== null && (
        <>
          {' · '}
          <a {...link(`/investigate?person_id=${e.person_id}&type=access.decision`)} title="Where this person went">
            <PersonName id={e.person_id} />
          </a>
        </>
      )}
      {typeof user === 'string' && ` · ${user}`}
    </>
  );
}

type Stream = ReturnType<typeof useEventStream>;

function Feed({ stream, doors }: { stream: Stream; doors: Map<number, Door> }) {
  const { events, status, paused, setPaused, pending } = stream;
  const [type, setType] = useState('');
  const [decision, setDecision] = useState('');
  const [top, setTop] = useState(0);
  const shown = useMemo(
    () => events.filter((e) => (!type || e.type === type) && (!decision || e.decision === decision)),
    [events, type, decision],
  );
  const first = Math.max(0, Math.floor(top / ROW) - 2);
  const slice = shown.slice(first, first + VISIBLE + 4);
  return (
    <section aria-labelledby="feed-title" class="feed">
      <div class="bar">
        <h2 id="feed-title">Live events</h2>
        <span class={`status ${status}`} role="status">
          {status === 'live' ? (paused ? `paused, ${pending} new` : 'live') : status}
        </span>
        <label>
          Type{' '}
          <select value={type} onChange={(e) => setType((e.target as HTMLSelectElement).value)}>
            <option value="">all</option>
            <option value="access.decision">access decisions</option>
            <option value="door.forced">door forced</option>
            <option value="door.held">door held open</option>
            <option value="operator.action">operator actions</option>
            <option value="credential.revoked">credential revoked</option>
          </select>
        </label>
        <label>
          Decision{' '}
          <select value={decision} onChange={(e) => setDecision((e.target as HTMLSelectElement).value)}>
            <option value="">any</option>
            <option value="granted">granted</option>
            <option value="denied">denied</option>
          </select>
        </label>
        <button type="button" onClick={() => setPaused(!paused)} aria-pressed={paused}>
          {paused ? 'Resume' : 'Pause'}
        </button>
      </div>
      {shown.length === 0 ? (
        <Empty>{status === 'live' ? 'Waiting for events…' : 'Connecting to the live stream…'}</Empty>
      ) : (
        <div
          class="rows"
          style={{ height: `${VISIBLE * ROW}px` }}
          onScroll={(e) => setTop((e.target as HTMLDivElement).scrollTop)}
          role="log"
          aria-label="Live events, newest first"
          tabIndex={0}
        >
          <ol style={{ height: `${shown.length * ROW}px` }}>
            {slice.map((e, i) => (
              <li
                key={e.offset}
                class={e.decision ?? ''}
                style={{ top: `${(first + i) * ROW}px`, height: `${ROW}px` }}
                data-testid="event-row"
              >
                <time dateTime={e.time}>{new Date(e.time).toLocaleTimeString()}</time> <Describe e={e} doors={doors} />
              </li>
            ))}
          </ol>
        </div>
      )}
    </section>
  );
}


/** What a door is doing now, as far as the console knows. */
function doorState(d: Door, lockedBy: string | null, last: GhEvent | undefined): [string, string] {
  if (lockedBy) return [`locked down (${lockedBy})`, 'danger'];
  if (d.mode === 'locked_down') return ['locked down (door mode)', 'danger'];
  if (last?.type === 'door.forced') return [`forced open at ${new Date(last.time).toLocaleTimeString()}`, 'danger'];
  if (last?.type === 'door.held') return [`held open since ${new Date(last.time).toLocaleTimeString()}`, 'warn'];
  if (d.mode === 'unlocked_schedule') return ['unlocks on its schedule', ''];
  return [d.mode === 'card_pin' ? 'card and PIN' : 'card', ''];
}

function Areas({ areas, reload, doors, lastDoorEvent }: { areas: Loaded<Page<Area>>; reload: () => void; doors: Door[]; lastDoorEvent: Map<number, GhEvent> }) {
  const { session } = useSession();
  const [confirm, setConfirm] = useState<{ area: Area; action: 'lockdown' | 'release' } | null>(null);
  const allowed = can(session, 'doors.control');
  const act = useAction(
    (c: { area: Area; action: string }) => api('POST', `/api/v1/areas/${c.area.id}/${c.action}`, { reason: 'from the console' }),
    () => (setConfirm(null), reload()),
  );

  if (areas.state === 'loading') return <Loading what="areas" />;
  if (areas.state === 'error') return <ErrorBox error={areas.error} retry={reload} />;
  const byId = new Map(areas.data.items.map((a) => [a.id, a]));
  /* the area itself or the nearest area around it that is locked down */
  const locker = (a: Area | undefined): Area | null => {
    for (let x = a, hops = 0; x && hops < 64; x = x.parent_id === null ? undefined : byId.get(x.parent_id), hops++)
      if (x.locked_down) return x;
    return null;
  };
  const words = (l: Area | null, here: Area) => (l === null ? null : l === here ? 'this area' : `with ${l.name}`);
  return (
    <section aria-labelledby="areas-title" class="areas">
      <h2 id="areas-title">Areas and doors</h2>
      {areas.data.items.length === 0 && <Empty>No areas yet.</Empty>}
      <ul>
        {areas.data.items.map((a) => {
          const by = words(locker(a), a);
          const into = doors.filter((d) => d.to_area_id === a.id);
          /* a door is refused when the area it leads from is locked down too */
          const doorLock = (d: Door) => by ?? words(d.from_area_id === null ? null : locker(byId.get(d.from_area_id)), a);
          return (
            <li key={a.id} class={by ? 'locked' : ''}>
              <div class="area-head">
                <span>
                  {a.name} {a.locked_down && <strong>LOCKED DOWN</strong>}
                  {!a.locked_down && by && <small> locked down {by}</small>}
                </span>
                {allowed && (
                  <button type="button" onClick={() => setConfirm({ area: a, action: a.locked_down ? 'release' : 'lockdown' })}>
                    {a.locked_down ? `Release ${a.name}` : `Lock down ${a.name}`}
                  </button>
                )}
              </div>
              {into.length > 0 && (
                <ul class="doors" aria-label={`Doors into ${a.name}`}>
                  {into.map((d) => {
                    const [words, tone] = doorState(d, doorLock(d), lastDoorEvent.get(d.id));
                    return (
                      <li key={d.id} data-testid={`door-${d.id}`}>
                        {d.name} <span class={`badge ${tone}`}>{words}</span>
                      </li>
                    );
                  })}
                </ul>
              )}
            </li>
          );
        })}
      </ul>
      {confirm && (
        <Confirm
          title={confirm.action === 'lockdown' ? `Lock down ${confirm.area.name}?` : `Release ${confirm.area.name}?`}
          action={confirm.action === 'lockdown' ? 'Lock down' : 'Release'}
          onConfirm={() => act.run(confirm)}
          onCancel={() => (setConfirm(null), act.clear())}
          error={act.error}
        >
          <p>
            {confirm.action === 'lockdown'
              ? 'Every door into this area and the areas inside it refuses all badges until released.'
              : 'Doors go back to their normal rules.'}
          </p>
        </Confirm>
      )}
    </section>
  );
}

/** The alarms not yet cleared, most severe and newest first. */
function Alarms({ alarms, reload }: { alarms: Loaded<Page<Alarm>>; reload: () => void }) {
  const { session } = useSession();
  const handle = can(session, 'alarms.handle');
  const act = useAction((a: Alarm) => api('POST', `/api/v1/alarms/${a.id}/acknowledge`), reload);
  if (alarms.state === 'loading') return <Loading what="alarms" />;
  if (alarms.state === 'error') return <ErrorBox error={alarms.error} retry={reload} />;
  const rows = [...alarms.data.items].sort((a, b) => b.severity - a.severity || b.id - a.id);
  return (
    <section class="alarms" aria-labelledby="alarms-h">
      <h2 id="alarms-h">
        Alarms <span class="count">{rows.filter((a) => a.status === 'open').length} open</span>
      </h2>
      {act.error !== null && <ErrorBox error={act.error} />}
      {rows.length === 0 ? (
        <Empty>No alarm is open.</Empty>
      ) : (
        <ul>
          {rows.map((a) => (
            <li key={a.id} class={`alarm sev${a.severity} ${a.status}`} data-testid="alarm-row">
              <span class={`badge sev${a.severity}`}>{severityWords(a.severity)}</span>{' '}
              <strong>{alarmWords(a.type)}</strong>
              {a.count > 1 && <span class="count"> ×{a.count}</span>}
              {a.drill_id !== null && <span class="badge drill"> drill</span>}
              <span class="detail"> {a.detail}</span>{' '}
              <time dateTime={a.last}>{new Date(a.last).toLocaleTimeString()}</time>
              <span class="actions">
                {a.status === 'acknowledged' ? (
                  <span class="hint">acknowledged by {who(a.acknowledged?.by)}</span>
                ) : (
                  handle && (
                    <button type="button" disabled={act.busy} onClick={() => act.run(a)}>
                      Acknowledge<span class="sr-only"> {alarmWords(a.type)} alarm {a.id}</span>
                    </button>
                  )
                )}
                {a.incident_id !== null && can(session, 'incidents.read') && (
                  <a {...link(`/incidents/${a.incident_id}`)}>Incident {a.incident_id}</a>
                )}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function Monitor() {
  const { session } = useSession();
  const [areas, reloadAreas] = useGet<Page<Area>>('/api/v1/areas?limit=1000');
  const [lastDoorEvent, setLastDoorEvent] = useState(new Map<number, GhEvent>());
  /* every arriving event, paused or not: a lockdown or release made anywhere reloads the
   * areas; a door event updates that door's state */
  const seesAlarms = can(session, 'alarms.read');
  const [alarms, reloadAlarms] = useGet<Page<Alarm>>(seesAlarms ? '/api/v1/alarms?status=open,acknowledged&limit=100' : null, {
    items: [],
    next_cursor: null,
  });
  /* alarms may come in bursts: the list is asked again at most once a second */
  const alarmTimer = useRef(0);
  const stream = useEventStream(5000, (e) => {
    if (e.type === 'alarm' && seesAlarms && !alarmTimer.current)
      alarmTimer.current = window.setTimeout(() => ((alarmTimer.current = 0), reloadAlarms()), 1000);
    if (e.type === 'operator.action' && /lockdown|release/.test(String(e.payload['action']))) reloadAreas();
    if (e.door_id !== null && e.type.startsWith('door.')) setLastDoorEvent((m) => new Map(m).set(e.door_id!, e));
  });
  const [doors] = useGet<Page<Door>>(can(session, 'doors.read') ? '/api/v1/doors?limit=1000' : null, { items: [], next_cursor: null });
  const list = doors.state === 'ok' ? doors.data.items : [];
  const byId = useMemo(() => new Map(list.map((d) => [d.id, d])), [list]);
  return (
    <div class="monitor">
      <h1>Monitor</h1>
      {seesAlarms && <Alarms alarms={alarms} reload={reloadAlarms} />}
      <div class="cols">
        <Feed stream={stream} doors={byId} />
        <Areas areas={areas} reload={reloadAreas} doors={list} lastDoorEvent={lastDoorEvent} />
      </div>
    </div>
  );
}
