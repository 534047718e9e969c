// Sites.tsx: sites and their areas (/sites): each site with its time zone, its areas as a
// tree (an area inside another), with anti-passback and lockdown. With sites.write: add a
// site, add an area (inside another or at the top), delete an area after a confirmation.
import { useState } from 'preact/hooks';
import { api, Page } from '../lib/api';
import type { Area, Site } from '../lib/model';
import { can, useSession } from '../lib/session';
import { Confirm, Empty, ErrorBox, Field, fieldError, Loading, Named, Select, useAction, useGet } from '../lib/ui';

const APB: Record<Area['apb'], string> = { none: 'no anti-passback', soft: 'anti-passback: warn', hard: 'anti-passback: refuse' };

function Tree({ areas, parent, onDelete }: { areas: Area[]; parent: number | null; onDelete?: (a: Area) => void }) {
  const level = areas.filter((a) => a.parent_id === parent);
  if (level.length === 0) return null;
  return (
    <ul class="tree">
      {level.map((a) => (
        <li key={a.id}>
          <span class="node">
            <strong>{a.name}</strong> <small>{APB[a.apb]}</small> {a.locked_down && <span class="badge danger">LOCKED DOWN</span>}
            {onDelete && (
              <button type="button" class="small" onClick={() => onDelete(a)}>
                <Named verb="Delete" what={a.name} />
              </button>
            )}
          </span>
          <Tree areas={areas} parent={a.id} onDelete={onDelete} />
        </li>
      ))}
    </ul>
  );
}

function NewSite({ onDone }: { onDone: () => void }) {
  const [name, setName] = useState('');
  const [tz, setTz] = useState(Intl.DateTimeFormat().resolvedOptions().timeZone);
  const add = useAction(() => api('POST', '/api/v1/sites', { name, timezone: tz }), () => (setName(''), onDone()));
  return (
    <form class="inline-form" aria-label="Add a site" onSubmit={(e) => (e.preventDefault(), add.run())}>
      <Field id="site-name" label="New site" value={name} onInput={setName} required error={fieldError(add.error, 'name')} />
      <Field id="site-tz" label="Time zone (IANA)" value={tz} onInput={setTz} required error={fieldError(add.error, 'timezone')} />
      <button type="submit">Add the site</button>
      {add.error !== null && !fieldError(add.error, 'name') && !fieldError(add.error, 'timezone') && <ErrorBox error={add.error} />}
    </form>
  );
}

function NewArea({ sites, areas, onDone }: { sites: Site[]; areas: Area[]; onDone: () => void }) {
  const [name, setName] = useState('');
  const [site, setSite] = useState(String(sites[0]?.id ?? ''));
  const [parent, setParent] = useState('');
  const [apb, setApb] = useState('none');
  const add = useAction(
    () => api('POST', '/api/v1/areas', { name, site_id: Number(site), parent_id: parent ? Number(parent) : null, apb }),
    () => (setName(''), onDone()),
  );
  const inSite = areas.filter((a) => String(a.site_id) === site);
  const shown = ['name', 'site_id', 'parent_id', 'apb'];
  return (
    <form class="inline-form" aria-label="Add an area" onSubmit={(e) => (e.preventDefault(), add.run())}>
      <Field id="area-name" label="New area" value={name} onInput={setName} required error={fieldError(add.error, 'name')} />
      <Select id="area-site" label="In site" value={site} onChange={(v) => (setSite(v), setParent(''))} options={sites.map((s) => [String(s.id), s.name])} />
      <Select id="area-parent" label="Inside" value={parent} onChange={setParent} options={[['', '(the site itself)'], ...inSite.map((a): [string, string] => [String(a.id), a.name])]} error={fieldError(add.error, 'parent_id')} />
      <Select id="area-apb" label="Anti-passback" value={apb} onChange={setApb} options={Object.entries(APB)} />
      <button type="submit">Add the area</button>
      {add.error !== null && !shown.some((f) => fieldError(add.error, f)) && <ErrorBox error={add.error} />}
    </form>
  );
}

export function Sites() {
  const { session } = useSession();
  const [sites, reloadSites] = useGet<Page<Site>>('/api/v1/sites?limit=1000');
  const [areas, reloadAreas] = useGet<Page<Area>>('/api/v1/areas?limit=1000');
  const [doomed, setDoomed] = useState<Area | null>(null);
  const del = useAction((a: Area) => api('DELETE', `/api/v1/areas/${a.id}`), () => (setDoomed(null), reloadAreas()));
  const write = can(session, 'sites.write');
  return (
    <section aria-labelledby="sites-title">
      <h1 id="sites-title">Sites and areas</h1>
      {(sites.state === 'loading' || areas.state === 'loading') && <Loading what="sites" />}
      {sites.state === 'error' && <ErrorBox error={sites.error} retry={reloadSites} />}
      {areas.state === 'error' && <ErrorBox error={areas.error} retry={reloadAreas} />}
      {sites.state === 'ok' && areas.state === 'ok' && (
        <>
          {sites.data.items.length === 0 && <Empty>No sites yet. A site is a place with its own time zone: a campus, a building.</Empty>}
          {sites.data.items.map((s) => (
            <section key={s.id} aria-labelledby={`site-${s.id}`} class="site">
              <h2 id={`site-${s.id}`}>
                {s.name} <small>{s.timezone}</small>
              </h2>
              {areas.data.items.some((a) => a.site_id === s.id) ? (
                <Tree areas={areas.data.items.filter((a) => a.site_id === s.id)} parent={null} onDelete={write ? setDoomed : undefined} />
              ) : (
                <Empty>No areas yet.</Empty>
              )}
            </section>
          ))}
          {doomed && (
            <Confirm title={`Delete the area ${doomed.name}?`} action="Delete" onConfirm={() => del.run(doomed)} onCancel={() => (setDoomed(null), del.clear())} error={del.error}>
              <p>Only an area no door, area or record refers to can be deleted; the server says what still uses it.</p>
            </Confirm>
          )}
          {write && (
            <>
              <h2>Add</h2>
              <NewSite onDone={reloadSites} />
              {sites.data.items.length > 0 && <NewArea sites={sites.data.items} areas={areas.data.items} onDone={reloadAreas} />}
            </>
          )}
        </>
      )}
    </section>
  );
}
