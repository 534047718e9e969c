// Investigate.tsx: investigations. Events are found by person, badge, door, time range and
// outcome; the search lives in the URL (/investigate?person_id=…), so it can be bookmarked
// or handed over. For a person, the timeline of where they went, day by day; for any
// decision, its explanation: the recorded answer beside the same read decided with
// today's policy, every check shown. The same search exports as CSV.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, Page } from '../lib/api';
import type { Area, Door } from '../lib/model';
import { CardName, PersonName, personWords } from '../lib/names';
import { navigate, useLocation } from '../lib/router';
import { can, useSession } from '../lib/session';
import type { GhEvent } from '../lib/stream';
import { Empty, ErrorBox, Loading, useDebounced, useGet } from '../lib/ui';
import { reasonWords } from '../lib/words';

interface Person {
  id: number;
  first_name: string;
  last_name: string;
  employee_id: string;
}
interface Step {
  check: string;
  ok: boolean;
  detail: string;
}
interface Explanation {
  event: GhEvent;
  replay: { decision: string; reason: string; policy_version: number; explanation: Step[] } | null;
  notes: string[];
}

/** The query parameters a search may carry (those of GET /api/v1/events and the export). */
const FILTERS = ['person_id', 'credential_id', 'door_id', 'from', 'to', 'decision', 'type'];
const PAGE = 200;

/* <input type="datetime-local"> speaks local time without a zone; the API speaks RFC 3339 */
const toInput = (iso: string | null) => {
  if (!iso) return '';
  const d = new Date(iso);
  if (isNaN(d.getTime())) return '';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
};
const fromInput = (v: string) => (v ? new Date(v).toISOString() : '');

const day = (iso: string) =>
  new Date(iso).toLocaleDateString(undefined, { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric' });
const clock = (iso: string) => new Date(iso).toLocaleTimeString();

function PersonPicker({ id, onChange }: { id: string; onChange: (id: string) => void }) {
  const [q, setQ] = useState('');
  const [found, setFound] = useState<Person[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const asked = useDebounced(q.trim(), 200);
  useEffect(() => {
    if (asked.length < 2) {
      setFound(null);
      return;
    }
    let live = true;
    api<Page<Person>>('GET', `/api/v1/people?limit=8&q=${encodeURIComponent(asked)}`).then(
      (p) => live && (setFound(p.items), setError(null)),
      (e) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [asked]);
  if (id)
    return (
      <div class="field">
        <span class="label">Person</span>
        <span class="chosen">
          <PersonName id={Number(id)} />{' '}
          <button type="button" onClick={() => onChange('')}>
            Clear<span class="sr-only"> the person (any person)</span>
          </button>
        </span>
      </div>
    );
  return (
    <div class="field picker">
      <label for="inv-person">Person</label>
      <input
        id="inv-person"
        type="search"
        value={q}
        placeholder="name, employee id or e-mail"
        autocomplete="off"
        onInput={(e) => setQ((e.target as HTMLInputElement).value)}
      />
      {error !== null && <ErrorBox error={error} />}
      {found !== null &&
        (found.length === 0 ? (
          <p class="hint">Nobody matches “{asked}”.</p>
        ) : (
          <ul class="choices" aria-label="Matching people">
            {found.map((p) => (
              <li key={p.id}>
                <button type="button" onClick={() => onChange(String(p.id))}>
                  {personWords(p)}
                </button>
              </li>
            ))}
          </ul>
        ))}
    </div>
  );
}

/** A badge typed as FORMAT:FACILITY:NUMBER or as the number printed on it: its credential id. */
async function badgeToCredential(text: string): Promise<string> {
  const t = text.trim();
  let path: string;
  if (/^[a-z0-9]+:\d+:\d+$/i.test(t)) path = `/api/v1/credentials?limit=2&card=${encodeURIComponent(t)}`;
  else if (/^\d+$/.test(t)) path = `/api/v1/credentials?limit=2&number=${t}`;
  else throw new ApiError(422, 'validation', '', [{ field: 'badge', detail: 'Give the card as FORMAT:FACILITY:NUMBER (h10301:42:10007) or its number.' }]);
  const found = await api<Page<{ id: number }>>('GET', path);
  if (found.items.length === 0)
    throw new ApiError(422, 'validation', '', [{ field: 'badge', detail: `No enrolled card is ${t}.` }]);
  if (found.items.length > 1)
    throw new ApiError(422, 'validation', '', [
      { field: 'badge', detail: `Several cards have the number ${t}: give it as FORMAT:FACILITY:NUMBER.` },
    ]);
  return String(found.items[0].id);
}

function SearchForm({ query, doors }: { query: URLSearchParams; doors: Door[] }) {
  const { session } = useSession();
  const [person, setPerson] = useState(query.get('person_id') ?? '');
  const [badge, setBadge] = useState('');
  const [door, setDoor] = useState(query.get('door_id') ?? '');
  const [from, setFrom] = useState(toInput(query.get('from')));
  const [to, setTo] = useState(toInput(query.get('to')));
  const [decision, setDecision] = useState(query.get('decision') ?? '');
  /* a new search looks at access decisions; a search from the URL keeps its choice */
  const [all, setAll] = useState(FILTERS.some((f) => query.has(f)) && !query.has('type'));
  const [badgeError, setBadgeError] = useState<string | undefined>();
  const credential = query.get('credential_id');

  async function search(e: Event) {
    e.preventDefault();
    setBadgeError(undefined);
    const q = new URLSearchParams();
    if (person) q.set('person_id', person);
    if (badge.trim()) {
      try {
        q.set('credential_id', await badgeToCredential(badge));
      } catch (err) {
        setBadgeError(err instanceof ApiError ? (err.errors[0]?.detail ?? err.message) : 'The card cannot be looked up.');
        return;
      }
    } else if (credential) q.set('credential_id', credential);
    if (door) q.set('door_id', door);
    if (from) q.set('from', fromInput(from));
    if (to) q.set('to', fromInput(to));
    if (decision) q.set('decision', decision);
    if (!all) q.set('type', 'access.decision');
    navigate(`/investigate?${q}`);
  }

  return (
    <form class="search" onSubmit={search} aria-label="Search events">
      {can(session, 'people.read') && <PersonPicker id={person} onChange={setPerson} />}
      <div class="field">
        <label for="inv-badge">Badge</label>
        <input
          id="inv-badge"
          value={badge}
          placeholder={credential ? '' : 'h10301:42:10007 or 10007'}
          aria-invalid={badgeError ? true : undefined}
          aria-describedby={badgeError ? 'inv-badge-error' : undefined}
          onInput={(e) => setBadge((e.target as HTMLInputElement).value)}
        />
        {credential && !badge && (
          <p class="hint">
            Now: <CardName id={Number(credential)} />
          </p>
        )}
        {badgeError && (
          <p class="field-error" id="inv-badge-error">
            {badgeError}
          </p>
        )}
      </div>
      <div class="field">
        <label for="inv-door">Door</label>
        <select id="inv-door" value={door} onChange={(e) => setDoor((e.target as HTMLSelectElement).value)}>
          <option value="">any door</option>
          {doors.map((d) => (
            <option key={d.id} value={String(d.id)}>
              {d.name}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="inv-from">From</label>
        <input id="inv-from" type="datetime-local" value={from} onInput={(e) => setFrom((e.target as HTMLInputElement).value)} />
      </div>
      <div class="field">
        <label for="inv-to">To</label>
        <input id="inv-to" type="datetime-local" value={to} onInput={(e) => setTo((e.target as HTMLInputElement).value)} />
      </div>
      <div class="field">
        <label for="inv-decision">Outcome</label>
        <select id="inv-decision" value={decision} onChange={(e) => setDecision((e.target as HTMLSelectElement).value)}>
          <option value="">granted or denied</option>
          <option value="granted">granted</option>
          <option value="denied">denied</option>
        </select>
      </div>
      <div class="field check">
        <input id="inv-all" type="checkbox" checked={all} onChange={(e) => setAll((e.target as HTMLInputElement).checked)} />
        <label for="inv-all">Every event type, not only access decisions</label>
      </div>
      <p>
        <button type="submit" class="primary">
          Search
        </button>
      </p>
    </form>
  );
}

function Explain({ offset }: { offset: number }) {
  const [ex] = useGet<Explanation>(`/api/v1/events/${offset}/explanation`);
  if (ex.state === 'loading') return <Loading what="the explanation" />;
  if (ex.state === 'error') return <ErrorBox error={ex.error} />;
  const { event, replay, notes } = ex.data;
  return (
    <div class="explain" aria-label={`Explanation of event ${offset}`}>
      <p>
        Recorded: <strong>{event.decision}</strong>
        {event.decision === 'denied' && `: ${reasonWords(event.reason)}`}.
      </p>
      {replay && (
        <>
          <p>
            The same read with today's policy (version {replay.policy_version}): <strong>{replay.decision}</strong>
            {replay.decision === 'denied' && `: ${reasonWords(replay.reason)}`}
            {replay.reason !== event.reason && notes.length === 0 && ' — the policy has changed since'}.
          </p>
          <ol class="checks">
            {replay.explanation.map((s, i) => (
              <li key={i} class={s.ok ? 'ok' : 'fail'}>
                <span class="mark">{s.ok ? 'passed' : 'failed'}</span> <span class="check">{s.check}</span> {s.detail}
              </li>
            ))}
          </ol>
        </>
      )}
      {notes.length > 0 && (
        <ul class="notes">
          {notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

function outcome(e: GhEvent) {
  if (e.decision === null) return e.type;
  return e.decision === 'granted' ? 'granted' : `denied: ${reasonWords(e.reason)}`;
}

function Timeline({ events, doors, areas }: { events: GhEvent[]; doors: Map<number, Door>; areas: Map<number, string> }) {
  const moves = events.filter((e) => e.type === 'access.decision');
  if (moves.length === 0) return null;
  const days: [string, GhEvent[]][] = [];
  for (const e of moves) {
    const d = day(e.time);
    if (days.length === 0 || days[days.length - 1][0] !== d) days.push([d, []]);
    days[days.length - 1][1].push(e);
  }
  const where = (e: GhEvent) => {
    const door = e.door_id === null ? undefined : doors.get(e.door_id);
    if (!door) return e.door_id === null ? 'no door' : `door #${e.door_id}`;
    const exit = e.payload.direction === 'exit';
    const area = exit ? door.from_area_id : door.to_area_id;
    const into = area === null ? '' : areas.get(area);
    if (e.decision !== 'granted') return `refused at ${door.name}: ${reasonWords(e.reason)}`;
    return into ? `${door.name} → ${into}` : door.name;
  };
  return (
    <section aria-labelledby="timeline-title" class="timeline">
      <h2 id="timeline-title">Where they went</h2>
      {days.map(([d, list]) => (
        <div key={d}>
          <h3>{d}</h3>
          <ol>
            {list.map((e) => (
              <li key={e.offset} class={e.decision ?? ''} data-testid="timeline-entry">
                <time dateTime={e.time}>{clock(e.time)}</time> {where(e)}
              </li>
            ))}
          </ol>
        </div>
      ))}
    </section>
  );
}

function Results({ query, doors, areas }: { query: URLSearchParams; doors: Map<number, Door>; areas: Map<number, string> }) {
  const { session } = useSession();
  const filters = new URLSearchParams();
  FILTERS.forEach((f) => query.get(f) && filters.set(f, query.get(f)!));
  const key = filters.toString();
  const [events, setEvents] = useState<GhEvent[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [open, setOpen] = useState<number | null>(null);
  const [tick, setTick] = useState(0);

  function load(cursor: string | null) {
    const q = new URLSearchParams(filters);
    q.set('limit', String(PAGE));
    if (cursor) q.set('cursor', cursor);
    return api<Page<GhEvent>>('GET', `/api/v1/events?${q}`);
  }
  useEffect(() => {
    let live = true;
    setEvents(null);
    setError(null);
    setOpen(null);
    load(null).then(
      (p) => live && (setEvents(p.items), setNext(p.next_cursor)),
      (e) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [key, tick]);
  /* the search a "Load more" belongs to: a page that arrives after the search changed is dropped */
  const current = useRef(key);
  current.current = key;
  const [loadingMore, setLoadingMore] = useState(false);
  async function more() {
    const asked = key;
    setLoadingMore(true);
    try {
      const p = await load(next);
      if (current.current !== asked) return;
      setEvents((old) => (old ?? []).concat(p.items));
      setNext(p.next_cursor);
    } catch (e) {
      if (current.current === asked) setError(e);
    } finally {
      setLoadingMore(false);
    }
  }

  if (error !== null) return <ErrorBox error={error} retry={() => setTick((t) => t + 1)} />;
  if (events === null) return <Loading what="events" />;
  const exportQuery = new URLSearchParams(filters);
  exportQuery.set('format', 'csv');
  if (!filters.has('type')) exportQuery.set('all_types', 'true');
  const canExplain = can(session, 'decisions.run');
  const doorName = (id: number | null) => (id === null ? '' : (doors.get(id)?.name ?? `#${id}`));
  return (
    <>
      <div class="toolbar">
        <p role="status">
          {events.length} event{events.length === 1 ? '' : 's'}
          {next ? ' so far' : ''}
        </p>
        {can(session, 'events.export') && (
          <a class="button" href={`/api/v1/exports/events?${exportQuery}`} download="gatehouse-events.csv">
            Export CSV
          </a>
        )}
      </div>
      {events.length === 0 ? (
        <Empty>No event matches this search. Widen the time range or remove a filter.</Empty>
      ) : (
        <>
          {filters.has('person_id') && <Timeline events={events} doors={doors} areas={areas} />}
          <div class="table-wrap">
            <table class="events">
              <caption>Events, oldest first</caption>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Door</th>
                  <th scope="col">Person</th>
                  <th scope="col">Badge</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Why</th>
                </tr>
              </thead>
              <tbody>
                {events.flatMap((e) => {
                  const row = (
                    <tr key={e.offset} class={e.decision ?? ''} data-testid="result-row">
                      <td>
                        <time dateTime={e.time}>
                          {day(e.time)} {clock(e.time)}
                        </time>
                      </td>
                      <td>{doorName(e.door_id)}</td>
                      <td>
                        <PersonName id={e.person_id} />
                      </td>
                      <td>
                        {e.credential_id !== null ? <CardName id={e.credential_id} /> : String(e.payload.card ?? e.payload.bits ?? '')}
                      </td>
                      <td>{outcome(e)}</td>
                      <td>
                        {e.type === 'access.decision' && canExplain && (
                          <button
                            type="button"
                            aria-expanded={open === e.offset}
                            aria-controls={`why-${e.offset}`}
                            onClick={() => setOpen(open === e.offset ? null : e.offset)}
                          >
                            Explain<span class="sr-only"> event {e.offset}</span>
                          </button>
                        )}
                      </td>
                    </tr>
                  );
                  return open === e.offset
                    ? [
                        row,
                        <tr key={`why-${e.offset}`} id={`why-${e.offset}`} class="why">
                          <td colSpan={6}>
                            <Explain offset={e.offset} />
                          </td>
                        </tr>,
                      ]
                    : [row];
                })}
              </tbody>
            </table>
          </div>
          {next && (
            <p>
              <button type="button" onClick={more} disabled={loadingMore}>
                {loadingMore ? 'Loading…' : `Load ${PAGE} more`}
              </button>
            </p>
          )}
        </>
      )}
    </>
  );
}

export function Investigate() {
  const { session } = useSession();
  const { query } = useLocation();
  const none = { items: [], next_cursor: null };
  /* without doors.read (finance, for one) doors are shown by id */
  const [doors, reloadDoors] = useGet<Page<Door>>(can(session, 'doors.read') ? '/api/v1/doors?limit=1000' : null, none);
  const [areas] = useGet<Page<Area>>('/api/v1/areas?limit=1000');
  const searched = FILTERS.some((f) => query.has(f));
  return (
    <section aria-labelledby="inv-title" class="investigate">
      <h1 id="inv-title">Investigate</h1>
      {doors.state === 'loading' && <Loading what="doors" />}
      {doors.state === 'error' && <ErrorBox error={doors.error} retry={reloadDoors} />}
      {doors.state === 'ok' && (
        <>
          <SearchForm key={query.toString()} query={query} doors={doors.data.items} />
          <p class="hint">Times are shown in this browser's time zone ({Intl.DateTimeFormat().resolvedOptions().timeZone}).</p>
          {searched ? (
            <Results
              query={query}
              doors={new Map(doors.data.items.map((d) => [d.id, d]))}
              areas={new Map(areas.state === 'ok' ? areas.data.items.map((a) => [a.id, a.name]) : [])}
            />
          ) : (
            <Empty>Choose a person, a badge, a door or a time range, then Search.</Empty>
          )}
        </>
      )}
    </section>
  );
}
