// Devices.tsx: the door controllers (/devices): each with its health from the last
// heartbeat (online or not, the policy version it applies and whether that is current, the
// revocation lag, journal depth, clock offset, its doors' states), refreshed every few
// seconds so that a controller that stops answering shows offline within a heartbeat.
// With doors.write: add a controller with its doors, make its one-time enrollment token
// (shown once). With doors.control: unlock one of its doors for a moment, after a
// confirmation.
import { useEffect, useState } from 'preact/hooks';
import { api, Page } from '../lib/api';
import { Door, names } from '../lib/model';
import { can, useSession } from '../lib/session';
import { Confirm, Empty, ErrorBox, Field, fieldError, Loading, Named, Table, useAction, useGet } from '../lib/ui';

interface DoorHealth {
  id: number;
  name: string;
  lock: 'locked' | 'unlocked';
  open: boolean;
  lockdown: boolean;
  fault: boolean;
  alarm: 'none' | 'forced' | 'held';
}

interface Controller {
  id: number;
  name: string;
  enrolled: boolean;
  online: boolean;
  last_seen: string | null;
  enrollment_expires: string | null;
  applied_version: number | null;
  policy_version: number;
  current: boolean;
  revocation_lag_ms: number | null;
  health: { journal_depth?: number; clock_offset_ms?: number; doors?: DoorHealth[] } | null;
  doors: { door_id: number; offline_pin_after_s: number; offline_deny_after_s: number }[];
}

const REFRESH_MS = 3000;

function state(c: Controller): [string, string] {
  if (!c.enrolled) return [c.enrollment_expires ? 'waiting for enrollment' : 'not enrolled', 'badge warn'];
  return c.online ? ['online', 'badge ok'] : ['offline', 'badge danger'];
}

function doorWords(d: DoorHealth): string {
  const parts = [d.lock, d.open ? 'open' : 'closed'];
  if (d.lockdown) parts.push('locked down');
  if (d.fault) parts.push('fault');
  if (d.alarm !== 'none') parts.push(d.alarm === 'forced' ? 'FORCED' : 'HELD OPEN');
  return `${d.name}: ${parts.join(', ')}`;
}

function AddController(props: { doors: Door[]; onDone: () => void }) {
  const [name, setName] = useState('');
  const [chosen, setChosen] = useState<number[]>([]);
  const [pin, setPin] = useState('0');
  const [deny, setDeny] = useState('0');
  const add = useAction(
    () =>
      api('POST', '/api/v1/controllers', {
        name,
        doors: chosen.map((door) => ({ door, offline_pin_after_s: Number(pin) || 0, offline_deny_after_s: Number(deny) || 0 })),
      }),
    () => (setName(''), setChosen([]), props.onDone()),
  );
  const toggle = (id: number) => setChosen(chosen.includes(id) ? chosen.filter((x) => x !== id) : [...chosen, id]);
  return (
    <form class="inline-form" aria-label="Add a controller" onSubmit={(e) => (e.preventDefault(), add.run())}>
      <Field id="ctl-name" label="Name" value={name} onInput={setName} required error={fieldError(add.error, 'name')} />
      <fieldset>
        <legend>Doors it drives</legend>
        {props.doors.map((d) => (
          <label key={d.id} class="check">
            <input type="checkbox" checked={chosen.includes(d.id)} onChange={() => toggle(d.id)} /> {d.name}
          </label>
        ))}
      </fieldset>
      <Field id="ctl-pin" label="Offline: card + PIN after (s, 0 never)" value={pin} onInput={setPin} inputmode="numeric" />
      <Field id="ctl-deny" label="Offline: deny after (s, 0 never)" value={deny} onInput={setDeny} inputmode="numeric" />
      <button type="submit" class="primary">
        Add the controller
      </button>
      {add.error !== null && !fieldError(add.error, 'name') && <ErrorBox error={add.error} />}
    </form>
  );
}

export function Devices() {
  const { session } = useSession();
  const [ctls, reload] = useGet<Page<Controller>>('/api/v1/controllers?limit=1000');
  const [doors] = useGet<Page<Door>>('/api/v1/doors?limit=1000');
  const [token, setToken] = useState<{ name: string; token: string; expires: string } | null>(null);
  const [unlocking, setUnlocking] = useState<{ door: number; name: string } | null>(null);
  const write = can(session, 'doors.write');
  const control = can(session, 'doors.control');
  const doorName = names(doors.state === 'ok' ? doors.data.items : []);
  const mint = useAction(async (c: Controller) => {
    const t = await api<{ token: string; expires: string }>('POST', `/api/v1/controllers/${c.id}/enrollment`);
    setToken({ name: c.name, token: t.token, expires: t.expires });
  }, reload);
  const unlock = useAction((door: number) => api('POST', `/api/v1/doors/${door}/unlock`, { seconds: 5 }), () => setUnlocking(null));
  /* health changes on its own: ask again every few seconds (a reload keeps the table) */
  useEffect(() => {
    const t = setInterval(reload, REFRESH_MS);
    return () => clearInterval(t);
  }, [reload]);
  return (
    <section aria-labelledby="devices-title">
      <h1 id="devices-title">Devices</h1>
      {ctls.state === 'loading' && <Loading what="controllers" />}
      {ctls.state === 'error' && <ErrorBox error={ctls.error} retry={reload} />}
      {ctls.state === 'ok' &&
        (ctls.data.items.length === 0 ? (
          <Empty>No door controllers yet.{write ? ' Add one below, then enroll it with its token.' : ''}</Empty>
        ) : (
          <Table
            caption={`${ctls.data.items.length} door controllers`}
            rows={ctls.data.items}
            rowKey={(c) => c.id}
            columns={[
              { title: 'Name', cell: (c) => c.name },
              {
                title: 'State',
                cell: (c) => {
                  const [words, cls] = state(c);
                  return <span class={cls}>{words}</span>;
                },
              },
              {
                title: 'Policy',
                cell: (c) =>
                  c.applied_version === null ? '—' : c.current ? `v${c.applied_version} (current)` : `v${c.applied_version} (behind v${c.policy_version})`,
              },
              { title: 'Revocation lag', cell: (c) => (c.revocation_lag_ms === null ? '—' : `${(c.revocation_lag_ms / 1000).toFixed(1)} s`) },
              { title: 'Journal', cell: (c) => (c.health?.journal_depth === undefined ? '—' : `${c.health.journal_depth} waiting`) },
              { title: 'Clock offset', cell: (c) => (c.health?.clock_offset_ms === undefined ? '—' : `${c.health.clock_offset_ms} ms`) },
              { title: 'Last seen', cell: (c) => (c.last_seen ? new Date(c.last_seen).toLocaleString() : 'never') },
              {
                title: 'Doors',
                cell: (c) => (
                  <ul class="plain">
                    {c.doors.map((d) => {
                      const h = c.health?.doors?.find((x) => x.id === d.door_id);
                      const name = doorName.get(d.door_id) ?? `#${d.door_id}`;
                      return (
                        <li key={d.door_id}>
                          {h ? doorWords({ ...h, name }) : name}{' '}
                          {control && c.enrolled && (
                            <button type="button" onClick={() => setUnlocking({ door: d.door_id, name })}>
                              <Named verb="Unlock" what={name} />
                            </button>
                          )}
                        </li>
                      );
                    })}
                  </ul>
                ),
              },
              {
                title: 'Actions',
                cell: (c) =>
                  write && (
                    <button type="button" onClick={() => mint.run(c)}>
                      <Named verb="Enrollment token" what={`for ${c.name}`} />
                    </button>
                  ),
              },
            ]}
          />
        ))}
      {mint.error !== null && <ErrorBox error={mint.error} />}
      {token && (
        <div class="state" role="status">
          <p>
            Enrollment token for {token.name} (shown once, works once, until {new Date(token.expires).toLocaleString()}):
          </p>
          <p>
            <code data-testid="enroll-token">{token.token}</code>
          </p>
          <p>
            On the controller: <code>gatehouse edge --data DIR --server URL --enroll TOKEN</code>
          </p>
          <button type="button" onClick={() => setToken(null)}>
            Done
          </button>
        </div>
      )}
      {unlocking && (
        <Confirm title={`Unlock ${unlocking.name} for 5 seconds?`} action="Unlock" onConfirm={() => unlock.run(unlocking.door)} onCancel={() => (setUnlocking(null), unlock.clear())} error={unlock.error}>
          <p>The controller unlocks it at once; a door in lockdown stays locked.</p>
        </Confirm>
      )}
      {write && doors.state === 'ok' && (
        <>
          <h2>Add a controller</h2>
          <AddController doors={doors.data.items} onDone={reload} />
        </>
      )}
    </section>
  );
}
