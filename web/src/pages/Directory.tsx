// Directory.tsx: who to call (/directory): every department's liaison and on-call contacts
// in escalation order, with how to reach them and how long an incident may wait before the
// next level is called; the printable page for the control room's wall; and, for those who
// keep it, adding and removing contacts and changing a department's delay.
import { useState } from 'preact/hooks';
import { api } from '../lib/api';
import type { DirectoryEntry } from '../lib/incidents';
import { can, useSession } from '../lib/session';
import { Empty, ErrorBox, Field, fieldError, Loading, useAction, useGet } from '../lib/ui';

function AddContact({ dep, reload }: { dep: DirectoryEntry; reload: () => void }) {
  const [open, setOpen] = useState(false);
  const [form, setForm] = useState({ level: '0', name: '', role: '', email: '', phone: '' });
  const set = (k: keyof typeof form) => (v: string) => setForm({ ...form, [k]: v });
  const add = useAction(
    () =>
      api('POST', '/api/v1/contacts', {
        department_id: dep.department_id,
        level: Number(form.level),
        name: form.name,
        ...(form.role ? { role: form.role } : {}),
        ...(form.email ? { email: form.email } : {}),
        ...(form.phone ? { phone: form.phone } : {}),
      }),
    () => (setOpen(false), reload()),
  );
  if (!open)
    return (
      <button type="button" onClick={() => setOpen(true)}>
        Add a contact<span class="sr-only"> to {dep.department}</span>
      </button>
    );
  const id = `c${dep.department_id}`;
  return (
    <form
      class="search"
      onSubmit={(e) => {
        e.preventDefault();
        add.run();
      }}
    >
      <Field id={`${id}-level`} label="Level (0: liaison)" value={form.level} onInput={set('level')} inputmode="numeric" error={fieldError(add.error, 'level')} />
      <Field id={`${id}-name`} label="Name" value={form.name} onInput={set('name')} required error={fieldError(add.error, 'name')} />
      <Field id={`${id}-role`} label="Role" value={form.role} onInput={set('role')} error={fieldError(add.error, 'role')} />
      <Field id={`${id}-email`} label="E-mail" type="email" value={form.email} onInput={set('email')} error={fieldError(add.error, 'email')} />
      <Field id={`${id}-phone`} label="Phone" value={form.phone} onInput={set('phone')} error={fieldError(add.error, 'phone')} />
      <p class="actions">
        <button type="submit" class="primary" disabled={add.busy}>
          Add
        </button>
        <button type="button" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </p>
      {add.error !== null && !fieldError(add.error, 'name') && <ErrorBox error={add.error} />}
    </form>
  );
}

export function Directory() {
  const { session } = useSession();
  const write = can(session, 'directory.write');
  const [res, reload] = useGet<{ items: DirectoryEntry[] }>('/api/v1/directory');
  const remove = useAction((id: number) => api('DELETE', `/api/v1/contacts/${id}`), reload);
  const delay = useAction(
    (dep: DirectoryEntry, minutes: number) => api('PATCH', `/api/v1/directory/${dep.department_id}`, { escalate_after_s: minutes * 60 }),
    reload,
  );
  if (res.state === 'loading') return <Loading what="the directory" />;
  if (res.state === 'error') return <ErrorBox error={res.error} retry={reload} />;
  const deps = [...res.data.items].sort((a, b) => a.department.localeCompare(b.department));
  return (
    <div class="directory">
      <h1>Who to call</h1>
      <p class="toolbar">
        <span class="hint">Level 0 is the department's liaison; an incident nobody acknowledges in time goes to the next level.</span>
        <a class="button" href="/api/v1/directory/print" target="_blank" rel="noopener">
          Printable page
        </a>
      </p>
      {remove.error !== null && <ErrorBox error={remove.error} />}
      {delay.error !== null && <ErrorBox error={delay.error} />}
      {deps.map((d) => (
        <section key={d.department_id} aria-labelledby={`dep-${d.department_id}`}>
          <h2 id={`dep-${d.department_id}`}>
            {d.department} <span class="count">escalates after {Math.round(d.escalate_after_s / 60)} min</span>
          </h2>
          {d.contacts.length === 0 ? (
            <Empty>No one to call yet.</Empty>
          ) : (
            <div class="table-wrap">
              <table>
                <caption class="sr-only">{d.department}'s contacts</caption>
                <thead>
                  <tr>
                    <th scope="col">Level</th>
                    <th scope="col">Name</th>
                    <th scope="col">Role</th>
                    <th scope="col">Phone</th>
                    <th scope="col">E-mail</th>
                    <th scope="col">Webhook</th>
                    {write && <th scope="col"><span class="sr-only">Actions</span></th>}
                  </tr>
                </thead>
                <tbody>
                  {d.contacts.map((c) => (
                    <tr key={c.id}>
                      <td>{c.level === 0 ? 'liaison' : c.level}</td>
                      <td>{c.name}</td>
                      <td>{c.role}</td>
                      <td>{c.phone}</td>
                      <td>{c.email}</td>
                      <td class="wrap">{c.webhook ? 'yes' : ''}</td>
                      {write && (
                        <td>
                          <button type="button" disabled={remove.busy} onClick={() => remove.run(c.id)}>
                            Remove<span class="sr-only"> {c.name}</span>
                          </button>
                        </td>
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {write && (
            <div class="actions">
              <AddContact dep={d} reload={reload} />
              <label>
                Escalate after{' '}
                <select
                  value={String(Math.round(d.escalate_after_s / 60))}
                  onChange={(e) => delay.run(d, Number((e.target as HTMLSelectElement).value))}
                >
                  {[0, 5, 10, 15, 30, 60].map((m) => (
                    <option key={m} value={String(m)}>
                      {m === 0 ? 'never' : `${m} min`}
                    </option>
                  ))}
                </select>
              </label>
            </div>
          )}
        </section>
      ))}
    </div>
  );
}
