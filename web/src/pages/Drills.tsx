// Drills.tsx: drills (/drills, drills.run): start one (a marked scenario the detectors,
// the procedures and the people answer for real), the drills so far, and a drill's report
// (/drills/ID): per department, how long the alarm, the acknowledgement and the resolution
// took from the injection.
import { useState } from 'preact/hooks';
import { api } from '../lib/api';
import { Drill, DrillReport, seconds, when, who } from '../lib/incidents';
import { link, navigate, usePath } from '../lib/router';
import { Empty, ErrorBox, Loading, useAction, useGet } from '../lib/ui';

const SCENARIOS = [
  ['badge-cloning', 'A cloned badge: one card at two doors too far apart'],
  ['terminated-employee', "A terminated employee's card tried"],
  ['forced-door', 'A door forced open'],
  ['after-hours', 'A grant at an hour the person never comes'],
];

function Report({ id }: { id: number }) {
  const [res, reload] = useGet<DrillReport>(`/api/v1/drills/${id}`);
  if (res.state === 'loading') return <Loading what={`drill ${id}`} />;
  if (res.state === 'error') return <ErrorBox error={res.error} retry={reload} />;
  const r = res.data;
  const deps = Object.entries(r.departments);
  return (
    <div>
      <p>
        <a {...link('/drills')}>All drills</a>
      </p>
      <h1>
        Drill {r.id}: {r.scenario}
      </h1>
      <p class="hint">
        Started {when(r.started)} by {who(r.by)}. Times are from the injection.{' '}
        <button type="button" class="link" onClick={reload}>
          Refresh
        </button>
      </p>
      {deps.length === 0 ? (
        <Empty>No incident came of it (yet, or its alarm opens none).</Empty>
      ) : (
        <div class="table-wrap">
          <table>
            <caption>Per department</caption>
            <thead>
              <tr>
                <th scope="col">Department</th>
                <th scope="col">Incident</th>
                <th scope="col">Status</th>
                <th scope="col">To the alarm</th>
                <th scope="col">To acknowledge</th>
                <th scope="col">To resolve</th>
              </tr>
            </thead>
            <tbody>
              {deps.flatMap(([dep, rows]) =>
                rows.map((x) => (
                  <tr key={x.incident}>
                    <td>{dep}</td>
                    <td>
                      <a {...link(`/incidents/${x.incident}`)}>
                        {x.incident}: {x.title}
                      </a>
                    </td>
                    <td>{x.status}</td>
                    <td>{seconds(x.to_alarm_s)}</td>
                    <td>{seconds(x.to_acknowledge_s)}</td>
                    <td>{seconds(x.to_resolve_s)}</td>
                  </tr>
                )),
              )}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function List() {
  const [res, reload] = useGet<{ items: Drill[] }>('/api/v1/drills');
  const [scenario, setScenario] = useState('badge-cloning');
  const start = useAction(async () => {
    const d = await api<Drill>('POST', '/api/v1/drills', { scenario });
    navigate(`/drills/${d.id}`);
  });
  return (
    <div>
      <h1>Drills</h1>
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          start.run();
        }}
      >
        <label>
          Scenario{' '}
          <select value={scenario} onChange={(e) => setScenario((e.target as HTMLSelectElement).value)}>
            {SCENARIOS.map(([v, words]) => (
              <option key={v} value={v}>
                {words}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" class="primary" disabled={start.busy}>
          Start the drill
        </button>
      </form>
      {start.error !== null && <ErrorBox error={start.error} />}
      {res.state === 'loading' && <Loading what="drills" />}
      {res.state === 'error' && <ErrorBox error={res.error} retry={reload} />}
      {res.state === 'ok' &&
        (res.data.items.length === 0 ? (
          <Empty>No drill yet.</Empty>
        ) : (
          <ul>
            {res.data.items.map((d) => (
              <li key={d.id}>
                <a {...link(`/drills/${d.id}`)}>
                  Drill {d.id}: {d.scenario}
                </a>{' '}
                <span class="hint">
                  {when(d.started)}, {who(d.by)}
                </span>
              </li>
            ))}
          </ul>
        ))}
    </div>
  );
}

export function Drills() {
  const path = usePath();
  const m = /^\/drills\/(\d+)$/.exec(path);
  return m ? <Report id={Number(m[1])} key={m[1]} /> : <List />;
}
