// Schedules.tsx: when access applies (/schedules): schedules as lines of days and a time
// range in the site's local time ("mon-fri 07:00-19:00", "hol" for holidays), with the
// holiday calendar they follow; the calendars with their holidays. With schedules.write:
// add or change a schedule, delete one, add a calendar, add or remove a holiday.
import { useState } from 'preact/hooks';
import { api, ApiError, Page } from '../lib/api';
import { Calendar, Holiday, names, Schedule } from '../lib/model';
import { can, useSession } from '../lib/session';
import { Confirm, Empty, ErrorBox, Field, fieldError, Loading, Named, Select, Table, useAction, useFocusOnOpen, useGet } from '../lib/ui';

function ScheduleForm({ s, calendars, onDone, onCancel }: { s?: Schedule; calendars: Calendar[]; onDone: () => void; onCancel?: () => void }) {
  const [name, setName] = useState(s?.name ?? '');
  const [cal, setCal] = useState(String(s?.calendar_id ?? ''));
  const [lines, setLines] = useState((s?.intervals ?? ['mon-fri 07:00-19:00']).join('\n'));
  const save = useAction(() => {
    const body = { name, calendar_id: cal ? Number(cal) : null, intervals: lines.split('\n').map((l) => l.trim()).filter(Boolean) };
    return s ? api('PATCH', `/api/v1/schedules/${s.id}`, body) : api('POST', '/api/v1/schedules', body);
  }, onDone);
  const p = s ? `sched-${s.id}` : 'sched-new';
  /* the server names the bad line: intervals[2] is the third non-empty line */
  const lineErrors =
    save.error instanceof ApiError
      ? save.error.errors
          .filter((f) => f.field === 'intervals' || f.field.startsWith('intervals['))
          .map((f) => {
            const n = /\[(\d+)\]/.exec(f.field);
            return n ? `line ${Number(n[1]) + 1}: ${f.detail}` : f.detail;
          })
      : [];
  const err = lineErrors.length ? lineErrors.join('; ') : undefined;
  const opened = useFocusOnOpen<HTMLFormElement>();
  return (
    <form ref={s ? opened : undefined} class="inline-form" aria-label={s ? `Change ${s.name}` : 'Add a schedule'} onSubmit={(e) => (e.preventDefault(), save.run())}>
      <Field id={`${p}-name`} label="Name" value={name} onInput={setName} required error={fieldError(save.error, 'name')} />
      <Select id={`${p}-cal`} label="Holiday calendar" value={cal} onChange={setCal} options={[['', '(none)'], ...calendars.map((c): [string, string] => [String(c.id), c.name])]} error={fieldError(save.error, 'calendar_id')} />
      <div class="field">
        <label for={`${p}-lines`}>When: one line each, days and a time range (mon-fri 07:00-19:00, sat,sun 10:00-14:00, daily 22:00-06:00, hol …)</label>
        <textarea id={`${p}-lines`} rows={4} value={lines} aria-invalid={err ? true : undefined} aria-describedby={err ? `${p}-lines-error` : undefined} onInput={(e) => setLines((e.target as HTMLTextAreaElement).value)} />
        {err && (
          <p class="field-error" id={`${p}-lines-error`}>
            {err}
          </p>
        )}
      </div>
      <button type="submit" class="primary">
        {s ? 'Save' : 'Add the schedule'}
      </button>
      {onCancel && (
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      )}
      {save.error !== null && !err && !['name', 'calendar_id'].some((f) => fieldError(save.error, f)) && <ErrorBox error={save.error} />}
    </form>
  );
}

function Holidays({ cal, write }: { cal: Calendar; write: boolean }) {
  const [list, reload] = useGet<Page<Holiday>>(`/api/v1/calendars/${cal.id}/holidays?limit=1000`);
  const [date, setDate] = useState('');
  const [name, setName] = useState('');
  const add = useAction(() => api('POST', `/api/v1/calendars/${cal.id}/holidays`, { date, name }), () => (setDate(''), setName(''), reload()));
  const del = useAction((h: Holiday) => api('DELETE', `/api/v1/calendars/${cal.id}/holidays/${h.date}`), reload);
  return (
    <section aria-labelledby={`cal-${cal.id}`}>
      <h3 id={`cal-${cal.id}`}>{cal.name}</h3>
      {list.state === 'loading' && <Loading what="holidays" />}
      {list.state === 'error' && <ErrorBox error={list.error} retry={reload} />}
      {list.state === 'ok' && list.data.items.length === 0 && <Empty>No holidays.</Empty>}
      {list.state === 'ok' && list.data.items.length > 0 && (
        <ul class="holidays">
          {list.data.items.map((h) => (
            <li key={h.date}>
              <time dateTime={h.date}>{h.date}</time> {h.name}{' '}
              {write && (
                <button type="button" class="small" onClick={() => del.run(h)}>
                  Remove {h.date}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {del.error !== null && <ErrorBox error={del.error} />}
      {write && (
        <form class="inline-form" aria-label={`Add a holiday to ${cal.name}`} onSubmit={(e) => (e.preventDefault(), add.run())}>
          <Field id={`hol-${cal.id}-date`} label="Date" type="date" value={date} onInput={setDate} required error={fieldError(add.error, 'date')} />
          <Field id={`hol-${cal.id}-name`} label="Holiday" value={name} onInput={setName} required error={fieldError(add.error, 'name')} />
          <button type="submit">Add the holiday</button>
          {add.error !== null && !fieldError(add.error, 'date') && !fieldError(add.error, 'name') && <ErrorBox error={add.error} />}
        </form>
      )}
    </section>
  );
}

export function Schedules() {
  const { session } = useSession();
  const [schedules, reload] = useGet<Page<Schedule>>('/api/v1/schedules?limit=1000');
  const [calendars, reloadCals] = useGet<Page<Calendar>>('/api/v1/calendars?limit=1000');
  const [editing, setEditing] = useState<Schedule | null>(null);
  const [doomed, setDoomed] = useState<Schedule | null>(null);
  const [calName, setCalName] = useState('');
  const del = useAction((s: Schedule) => api('DELETE', `/api/v1/schedules/${s.id}`), () => (setDoomed(null), reload()));
  const addCal = useAction(() => api('POST', '/api/v1/calendars', { name: calName }), () => (setCalName(''), reloadCals()));
  const write = can(session, 'schedules.write');
  const cals = calendars.state === 'ok' ? calendars.data.items : [];
  const calName_ = names(cals);
  return (
    <section aria-labelledby="sched-title">
      <h1 id="sched-title">Schedules</h1>
      {schedules.state === 'loading' && <Loading what="schedules" />}
      {schedules.state === 'error' && <ErrorBox error={schedules.error} retry={reload} />}
      {schedules.state === 'ok' &&
        (schedules.data.items.length === 0 ? (
          <Empty>No schedules yet. A schedule says when an access level applies, or when a door stays unlocked.</Empty>
        ) : (
          <Table
            caption={`${schedules.data.items.length} schedules (times are local to each door's site)`}
            rows={schedules.data.items}
            rowKey={(s) => s.id}
            columns={[
              { title: 'Name', cell: (s) => s.name },
              {
                title: 'When',
                cell: (s) => (
                  <ul class="plain">
                    {s.intervals.map((i) => (
                      <li key={i}>
                        <code>{i}</code>
                      </li>
                    ))}
                  </ul>
                ),
              },
              { title: 'Holidays from', cell: (s) => (s.calendar_id === null ? '—' : (calName_.get(s.calendar_id) ?? `#${s.calendar_id}`)) },
              {
                title: 'Actions',
                cell: (s) =>
                  write && (
                    <span class="actions">
                      <button type="button" onClick={() => setEditing(s)}>
                        <Named verb="Change" what={s.name} />
                      </button>
                      <button type="button" onClick={() => setDoomed(s)}>
                        <Named verb="Delete" what={s.name} />
                      </button>
                    </span>
                  ),
              },
            ]}
          />
        ))}
      {doomed && (
        <Confirm title={`Delete the schedule ${doomed.name}?`} action="Delete" onConfirm={() => del.run(doomed)} onCancel={() => (setDoomed(null), del.clear())} error={del.error}>
          <p>A schedule an access level or a door still uses cannot be deleted; the server says which.</p>
        </Confirm>
      )}
      {write && editing && <ScheduleForm key={editing.id} s={editing} calendars={cals} onDone={() => (setEditing(null), reload())} onCancel={() => setEditing(null)} />}
      {write && !editing && (
        <>
          <h2>Add a schedule</h2>
          <ScheduleForm calendars={cals} onDone={reload} />
        </>
      )}
      <h2>Holiday calendars</h2>
      {calendars.state === 'loading' && <Loading what="calendars" />}
      {calendars.state === 'error' && <ErrorBox error={calendars.error} retry={reloadCals} />}
      {calendars.state === 'ok' && cals.length === 0 && <Empty>No calendars.</Empty>}
      {cals.map((c) => (
        <Holidays key={c.id} cal={c} write={write} />
      ))}
      {write && (
        <form class="inline-form" aria-label="Add a calendar" onSubmit={(e) => (e.preventDefault(), addCal.run())}>
          <Field id="cal-name" label="New calendar" value={calName} onInput={setCalName} required error={fieldError(addCal.error, 'name')} />
          <button type="submit">Add the calendar</button>
          {addCal.error !== null && !fieldError(addCal.error, 'name') && <ErrorBox error={addCal.error} />}
        </form>
      )}
    </section>
  );
}
