// Incidents.tsx: the incidents board (/incidents: by status, filtered by department; drills
// shown or left out) and an incident's page (/incidents/ID): its facts, the moves the
// workflow allows now, the procedure to tick off (done, or skipped with a reason), notes,
// who is assigned (taking it oneself), what it links to, its alarms, the messages sent, the
// whole timeline, and the debrief report as Markdown or HTML. Both follow the live stream
// of alarm and incident changes, so a change made anywhere shows at once.
import { useEffect, useState } from 'preact/hooks';
import { api, Page } from '../lib/api';
import { alarmWords, Incident, IncidentStatus, MOVE_WORDS, severityWords, Step, when, who } from '../lib/incidents';
import { link, usePath } from '../lib/router';
import { can, useSession } from '../lib/session';
import { Empty, ErrorBox, fieldError, Loading, useAction, useGet } from '../lib/ui';

interface Department {
  id: number;
  name: string;
}

/** Calls back whenever an alarm or an incident changes (the incidents stream). */
function useIncidentChanges(changed: () => void) {
  useEffect(() => {
    const es = new EventSource('/api/v1/incidents/stream');
    let timer = 0;
    const on = () => {
      if (!timer) timer = window.setTimeout(() => ((timer = 0), changed()), 150); /* a burst once */
    };
    es.addEventListener('incident', on);
    es.addEventListener('alarm', on);
    return () => {
      es.close();
      clearTimeout(timer);
    };
  }, []);
}

function Board() {
  const [department, setDepartment] = useState('');
  const [drills, setDrills] = useState(false);
  const q = new URLSearchParams({ limit: '1000', status: 'new,acknowledged,investigating,resolved' });
  if (department) q.set('department_id', department);
  if (!drills) q.set('drills', 'false');
  const [list, reload] = useGet<Page<Incident>>(`/api/v1/incidents?${q}`);
  const [deps] = useGet<Page<Department>>('/api/v1/departments?limit=1000', { items: [], next_cursor: null });
  useIncidentChanges(reload);
  const columns: IncidentStatus[] = ['new', 'acknowledged', 'investigating', 'resolved'];
  return (
    <div>
      <h1>Incidents</h1>
      <div class="toolbar">
        <label>
          Department{' '}
          <select value={department} onChange={(e) => setDepartment((e.target as HTMLSelectElement).value)}>
            <option value="">all</option>
            {deps.state === 'ok' &&
              deps.data.items.map((d) => (
                <option key={d.id} value={String(d.id)}>
                  {d.name}
                </option>
              ))}
          </select>
        </label>
        <label>
          <input type="checkbox" checked={drills} onChange={(e) => setDrills((e.target as HTMLInputElement).checked)} /> Show
          drills
        </label>
      </div>
      {list.state === 'loading' && <Loading what="incidents" />}
      {list.state === 'error' && <ErrorBox error={list.error} retry={reload} />}
      {list.state === 'ok' && (
        <div class="board">
          {columns.map((st) => {
            const here = list.data.items.filter((i) => i.status === st);
            return (
              <section key={st} aria-labelledby={`col-${st}`} data-testid={`column-${st}`}>
                <h2 id={`col-${st}`}>
                  {st} <span class="count">{here.length}</span>
                </h2>
                {here.length === 0 ? (
                  <Empty>None.</Empty>
                ) : (
                  <ul>
                    {here.map((i) => (
                      <li key={i.id}>
                        <span class={`badge sev${i.severity}`}>{severityWords(i.severity)}</span>{' '}
                        <a {...link(`/incidents/${i.id}`)}>
                          {i.id}: {i.title}
                        </a>
                        {i.drill_id !== null && <span class="badge drill"> drill</span>}
                        <small>
                          {i.department ?? 'no department'} · opened {when(i.opened)}
                          {i.escalates && ` · escalates ${new Date(i.escalates).toLocaleTimeString()}`}
                        </small>
                      </li>
                    ))}
                  </ul>
                )}
              </section>
            );
          })}
        </div>
      )}
    </div>
  );
}

function StepRow({ step, incident, canWrite, reload }: { step: Step; incident: Incident; canWrite: boolean; reload: () => void }) {
  const [skipping, setSkipping] = useState(false);
  const [reason, setReason] = useState('');
  const act = useAction(
    (state: string, why?: string) =>
      api('PUT', `/api/v1/incidents/${incident.id}/steps/${step.number}`, why ? { state, reason: why } : { state }),
    () => (setSkipping(false), reload()),
  );
  const closed = incident.status === 'closed';
  return (
    <li class={step.state} data-testid={`step-${step.number}`}>
      <span class="text">
        {step.number}. {step.text}
      </span>
      {step.required && <span class="badge"> required</span>}{' '}
      <span class="who">
        {step.state === 'done' && `done by ${who(step.by)}, ${when(step.at)}`}
        {step.state === 'skipped' && `skipped by ${who(step.by)}: ${step.reason}`}
      </span>
      {canWrite && !closed && (
        <div class="actions">
          {step.state === 'open' ? (
            <>
              <button type="button" disabled={act.busy} onClick={() => act.run('done')}>
                Done<span class="sr-only"> step {step.number}</span>
              </button>
              <button type="button" onClick={() => setSkipping(!skipping)} aria-expanded={skipping}>
                Skip<span class="sr-only"> step {step.number}</span>
              </button>
            </>
          ) : (
            <button type="button" disabled={act.busy} onClick={() => act.run('open')}>
              Reopen<span class="sr-only"> step {step.number}</span>
            </button>
          )}
        </div>
      )}
      {skipping && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            act.run('skipped', reason);
          }}
        >
          <label class="field">
            Why is step {step.number} skipped?
            <input value={reason} onInput={(e) => setReason((e.target as HTMLInputElement).value)} required />
          </label>
          <button type="submit" class="primary" disabled={act.busy}>
            Skip step {step.number}
          </button>
        </form>
      )}
      {act.error !== null && <ErrorBox error={act.error} />}
    </li>
  );
}

function Detail({ id }: { id: number }) {
  const { session } = useSession();
  const canWrite = can(session, 'incidents.write');
  const [res, reload] = useGet<Incident>(`/api/v1/incidents/${id}`);
  const [note, setNote] = useState('');
  useIncidentChanges(reload);
  const move = useAction((to: IncidentStatus) => api('POST', `/api/v1/incidents/${id}/status`, { status: to }), reload);
  const addNote = useAction(() => api('POST', `/api/v1/incidents/${id}/notes`, { text: note }), () => (setNote(''), reload()));
  const take = useAction(() => api('PUT', `/api/v1/incidents/${id}/assignees/${session.user.id}`), reload);
  const attach = useAction(
    (f: File) => api('POST', `/api/v1/incidents/${id}/attachments?name=${encodeURIComponent(f.name)}`, f, f.type || 'application/octet-stream'),
    reload,
  );
  if (res.state === 'loading') return <Loading what={`incident ${id}`} />;
  if (res.state === 'error') return <ErrorBox error={res.error} retry={reload} />;
  const x = res.data;
  const mine = x.assignees?.some((a) => a.id === session.user.id);
  return (
    <div class="incident">
      <p>
        <a {...link('/incidents')}>All incidents</a>
      </p>
      <h1>
        Incident {x.id}: {x.title}
      </h1>
      <dl class="facts">
        <div>
          <dt>Status</dt>
          <dd data-testid="incident-status">{x.status}</dd>
        </div>
        <div>
          <dt>Severity</dt>
          <dd>{severityWords(x.severity)}</dd>
        </div>
        <div>
          <dt>Owner</dt>
          <dd>{x.department ?? 'none'}</dd>
        </div>
        <div>
          <dt>Opened</dt>
          <dd>{when(x.opened)}</dd>
        </div>
        {x.escalates && (
          <div>
            <dt>Escalates</dt>
            <dd>{when(x.escalates)} (level {x.escalation_level + 1})</dd>
          </div>
        )}
        {x.drill_id !== null && (
          <div>
            <dt>Drill</dt>
            <dd>
              <a {...link(`/drills/${x.drill_id}`)}>drill {x.drill_id}</a>
            </dd>
          </div>
        )}
        <div>
          <dt>Assigned</dt>
          <dd>{x.assignees?.map((a) => a.name).join(', ') || 'nobody'}</dd>
        </div>
      </dl>
      {canWrite && (
        <div class="actions" aria-label="Workflow">
          {x.next.map((to) => (
            <button type="button" key={to} class={to === 'resolved' ? 'primary' : ''} disabled={move.busy} onClick={() => move.run(to)}>
              {MOVE_WORDS[to]}
            </button>
          ))}
          {!mine && x.status !== 'closed' && (
            <button type="button" disabled={take.busy} onClick={() => take.run()}>
              Assign to me
            </button>
          )}
        </div>
      )}
      {move.error !== null && <ErrorBox error={move.error} />}
      {take.error !== null && <ErrorBox error={take.error} />}
      <div class="cols2">
        <section aria-labelledby="sop-h">
          <h2 id="sop-h">Procedure</h2>
          {x.steps?.length ? (
            <ol class="steps">
              {x.steps.map((s) => (
                <StepRow key={s.number} step={s} incident={x} canWrite={canWrite} reload={reload} />
              ))}
            </ol>
          ) : (
            <Empty>This incident has no procedure.</Empty>
          )}
          <h2>Alarms</h2>
          {x.alarms?.length ? (
            <ul>
              {x.alarms.map((a) => (
                <li key={a.id}>
                  {alarmWords(a.type)} ({a.status}
                  {a.count > 1 ? `, ×${a.count}` : ''}): {a.detail}
                </li>
              ))}
            </ul>
          ) : (
            <Empty>None.</Empty>
          )}
          <h2>Links</h2>
          {x.links?.length ? (
            <ul>
              {x.links.map((l) => (
                <li key={`${l.kind}:${l.ref}`}>
                  {l.kind === 'clip' ? (
                    <a href={l.ref} rel="noopener noreferrer" target="_blank">
                      video clip
                    </a>
                  ) : l.kind === 'person' ? (
                    <a {...link(`/people/${l.ref}`)}>person {l.ref}</a>
                  ) : l.kind === 'door' ? (
                    <a {...link(`/investigate?door_id=${l.ref}&type=access.decision`)}>door {l.ref}</a>
                  ) : (
                    `${l.kind} ${l.ref}`
                  )}
                </li>
              ))}
            </ul>
          ) : (
            <Empty>None.</Empty>
          )}
          <h2>Files</h2>
          {x.attachments?.length ? (
            <ul>
              {x.attachments.map((f) => (
                <li key={f.id}>
                  <a href={`/api/v1/incidents/${x.id}/attachments/${f.id}`}>{f.name}</a>{' '}
                  <span class="hint">
                    {Math.ceil(f.size / 1024)} KiB, {who(f.by)}
                  </span>
                </li>
              ))}
            </ul>
          ) : (
            <Empty>None.</Empty>
          )}
          {canWrite && x.status !== 'closed' && (
            <label class="field">
              Attach a file
              <input
                type="file"
                disabled={attach.busy}
                onChange={(e) => {
                  const f = (e.target as HTMLInputElement).files?.[0];
                  if (f) attach.run(f);
                }}
              />
            </label>
          )}
          {attach.error !== null && <ErrorBox error={attach.error} />}
          <p>
            Report for the debrief: <a href={`/api/v1/incidents/${x.id}/report`}>Markdown</a> ·{' '}
            <a href={`/api/v1/incidents/${x.id}/report?format=html`}>HTML</a>
          </p>
        </section>
        <section aria-labelledby="tl-h" class="timeline">
          <h2 id="tl-h">Timeline</h2>
          {canWrite && x.status !== 'closed' && (
            <form
              onSubmit={(e) => {
                e.preventDefault();
                addNote.run();
              }}
            >
              <label class="field">
                Note
                <textarea value={note} rows={3} onInput={(e) => setNote((e.target as HTMLTextAreaElement).value)} required />
              </label>
              {fieldError(addNote.error, 'text') && <p class="field-error">{fieldError(addNote.error, 'text')}</p>}
              <button type="submit" disabled={addNote.busy}>
                Add the note
              </button>
            </form>
          )}
          <ol>
            {[...(x.timeline ?? [])].reverse().map((e) => (
              <li key={e.id}>
                <time dateTime={e.at}>{new Date(e.at).toLocaleString()}</time> <strong>{who(e.who)}</strong>{' '}
                <span class="hint">({e.kind})</span> {e.text}
              </li>
            ))}
          </ol>
        </section>
      </div>
    </div>
  );
}

export function Incidents() {
  const path = usePath();
  const m = /^\/incidents\/(\d+)$/.exec(path);
  return m ? <Detail id={Number(m[1])} key={m[1]} /> : <Board />;
}
