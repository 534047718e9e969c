// Monitor.tsx: the live monitor: the event feed as it happens (virtualized: thousands of
// rows cost only the visible ones; filterable; pause and resume), and the areas with their
// lockdown state, locked down or released after a confirmation, for those allowed to.
import { useMemo, useState } from 'preact/hooks';
import { api, Page } from '../lib/api';
import type { Area } from '../lib/model';
import { can, useSession } from '../lib/session';
import { GhEvent, useEventStream } from '../lib/stream';
import { Confirm, Empty, ErrorBox, Loading, useAction, useGet } from '../lib/ui';

const ROW = 28;
const VISIBLE = 18;

function describe(e: GhEvent): string {
  const parts = [e.type];
  if (e.decision) parts.push(e.decision + (e.reason && e.reason !== e.decision ? ` (${e.reason})` : ''));
  if (e.door_id !== null) parts.push(`door #${e.door_id}`);
  if (e.person_id !== null) parts.push(`person #${e.person_id}`);
  const user = e.payload['user'];
  if (typeof user === 'string') parts.push(user);
  return parts.join(' · ');
}

function Feed() {
  const { events, status, paused, setPaused, pending } = useEventStream();
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
                <time dateTime={e.time}>{new Date(e.time).toLocaleTimeString()}</time> {describe(e)}
              </li>
            ))}
          </ol>
        </div>
      )}
    </section>
  );
}


function Areas() {
  const { session } = useSession();
  const [areas, reload] = useGet<Page<Area>>('/api/v1/areas?limit=1000');
  const [confirm, setConfirm] = useState<{ area: Area; action: 'lockdown' | 'release' } | null>(null);
  const allowed = can(session, 'doors.control');
  const act = useAction(
    (c: { area: Area; action: string }) => api('POST', `/api/v1/areas/${c.area.id}/${c.action}`, { reason: 'from the console' }),
    () => (setConfirm(null), reload()),
  );

  return (
    <section aria-labelledby="areas-title" class="areas">
      <h2 id="areas-title">Areas</h2>
      {areas.state === 'loading' && <Loading what="areas" />}
      {areas.state === 'error' && <ErrorBox error={areas.error} retry={reload} />}
      {areas.state === 'ok' && areas.data.items.length === 0 && <Empty>No areas yet.</Empty>}
      {areas.state === 'ok' && (
        <ul>
          {areas.data.items.map((a) => (
            <li key={a.id} class={a.locked_down ? 'locked' : ''}>
              <span>
                {a.name} {a.locked_down && <strong>LOCKED DOWN</strong>}
              </span>
              {allowed && (
                <button type="button" onClick={() => setConfirm({ area: a, action: a.locked_down ? 'release' : 'lockdown' })}>
                  {a.locked_down ? `Release ${a.name}` : `Lock down ${a.name}`}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
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

export function Monitor() {
  return (
    <div class="monitor">
      <h1>Monitor</h1>
      <div class="cols">
        <Feed />
        <Areas />
      </div>
    </div>
  );
}
