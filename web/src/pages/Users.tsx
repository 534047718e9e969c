// Users.tsx: user administration (users.read to see, users.admin to act): who may sign
// in, from where (local, LDAP, OpenID), with which roles, whether MFA is on; disable or
// enable a user, end their sessions, or reset a lost authenticator, each after a
// confirmation; change a user's roles (the role table from GET /api/v1/roles says what each
// allows); add a user. The server refuses an administrator locking themselves out.
import { useState } from 'preact/hooks';
import { api, Page } from '../lib/api';
import { can, useSession } from '../lib/session';
import { Confirm, Empty, ErrorBox, Field, fieldError, Loading, Named, Table, useAction, useFocusOnOpen, useGet } from '../lib/ui';

interface User {
  id: number;
  name: string;
  display_name: string;
  source: string;
  roles: string[];
  enabled: boolean;
  mfa_enabled: boolean;
}

type Action = { user: User; what: 'disable' | 'enable' | 'end-sessions' | 'reset-mfa' };

const LABELS: Record<Action['what'], string> = {
  disable: 'Disable',
  enable: 'Enable',
  'end-sessions': 'End sessions',
  'reset-mfa': 'Reset MFA',
};

const EFFECTS: Record<Action['what'], string> = {
  disable: 'They are signed out everywhere and cannot sign in until enabled again.',
  enable: 'They can sign in again with their roles.',
  'end-sessions': 'They are signed out everywhere; they can sign in again.',
  'reset-mfa': 'Their authenticator and recovery codes stop working; they set up a new one at their next sign-in.',
};

interface Role {
  summary: string;
  mfa_required: boolean;
  permissions: string[];
}

/** Role checkboxes, each with what it is for. */
function RolePicker({ id, roles, chosen, onChange }: { id: string; roles: Record<string, Role>; chosen: string[]; onChange: (r: string[]) => void }) {
  return (
    <fieldset class="roles">
      <legend>Roles</legend>
      {Object.entries(roles).map(([name, r]) => (
        <div key={name} class="field check">
          <input
            id={`${id}-${name}`}
            type="checkbox"
            checked={chosen.includes(name)}
            onChange={(e) => onChange((e.target as HTMLInputElement).checked ? [...chosen, name] : chosen.filter((x) => x !== name))}
          />
          <label for={`${id}-${name}`}>
            <strong>{name}</strong>: {r.summary}
            {r.mfa_required && ' (needs two-factor sign-in)'}
          </label>
        </div>
      ))}
    </fieldset>
  );
}

function RolesForm({ user, roles, onDone, onCancel }: { user: User; roles: Record<string, Role>; onDone: () => void; onCancel: () => void }) {
  const [chosen, setChosen] = useState(user.roles);
  const save = useAction(() => api('PATCH', `/api/v1/users/${user.id}`, { roles: chosen.join(',') }), onDone);
  const opened = useFocusOnOpen<HTMLFormElement>();
  return (
    <form ref={opened} class="confirm" aria-label={`Roles of ${user.name}`} onSubmit={(e) => (e.preventDefault(), save.run())}>
      <h3>Roles of {user.name}</h3>
      <RolePicker id={`roles-${user.id}`} roles={roles} chosen={chosen} onChange={setChosen} />
      <p>Saving signs {user.name} out everywhere; their next sign-in has the new roles.</p>
      {save.error !== null && <ErrorBox error={save.error} />}
      <button type="submit" class="primary">
        Save the roles
      </button>{' '}
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
    </form>
  );
}

function NewUser({ roles, onDone }: { roles: Record<string, Role>; onDone: () => void }) {
  const [name, setName] = useState('');
  const [display, setDisplay] = useState('');
  const [email, setEmail] = useState('');
  const [chosen, setChosen] = useState<string[]>([]);
  const [password, setPassword] = useState('');
  const add = useAction(
    () =>
      api('POST', '/api/v1/users', {
        name,
        display_name: display || undefined,
        email: email || undefined,
        roles: chosen.join(','),
        password: password || undefined,
      }),
    () => (setName(''), setDisplay(''), setEmail(''), setChosen([]), setPassword(''), onDone()),
  );
  const e = (f: string) => fieldError(add.error, f);
  return (
    <form aria-labelledby="new-user-title" class="narrow-form" onSubmit={(ev) => (ev.preventDefault(), add.run())}>
      <h2 id="new-user-title">Add a user</h2>
      <Field id="nu-name" label="Sign-in name" value={name} onInput={setName} required autocomplete="off" error={e('name')} />
      <Field id="nu-display" label="Display name" value={display} onInput={setDisplay} error={e('display_name')} />
      <Field id="nu-email" label="E-mail" type="email" value={email} onInput={setEmail} error={e('email')} />
      <RolePicker id="nu-roles" roles={roles} chosen={chosen} onChange={setChosen} />
      {e('roles') && <p class="field-error">{e('roles')}</p>}
      <Field
        id="nu-password"
        label="First password (hand it over in person; empty: they cannot sign in yet)"
        type="password"
        value={password}
        onInput={setPassword}
        autocomplete="new-password"
        error={e('password')}
      />
      {add.error !== null && !['name', 'display_name', 'email', 'roles', 'password'].some(e) && <ErrorBox error={add.error} />}
      <button type="submit" class="primary">
        Add the user
      </button>
    </form>
  );
}

export function Users() {
  const { session } = useSession();
  const [users, reload] = useGet<Page<User>>('/api/v1/users?limit=1000');
  const [action, setAction] = useState<Action | null>(null);
  const [editing, setEditing] = useState<User | null>(null);
  const [roles] = useGet<Record<string, Role>>('/api/v1/roles');
  const admin = can(session, 'users.admin');
  const act = useAction(
    ({ user, what }: Action) =>
      what === 'disable' || what === 'enable'
        ? api('PATCH', `/api/v1/users/${user.id}`, { enabled: what === 'enable' })
        : api('POST', `/api/v1/users/${user.id}/${what}`),
    () => (setAction(null), reload()),
  );

  const button = (user: User, what: Action['what']) => (
    <button type="button" onClick={() => setAction({ user, what })}>
      <Named verb={LABELS[what]} what={user.name} />
    </button>
  );

  return (
    <section aria-labelledby="users-title">
      <h1 id="users-title">Users</h1>
      {users.state === 'loading' && <Loading what="users" />}
      {users.state === 'error' && <ErrorBox error={users.error} retry={reload} />}
      {users.state === 'ok' && users.data.items.length === 0 && <Empty>No users.</Empty>}
      {users.state === 'ok' && users.data.items.length > 0 && (
        <Table
          caption={`${users.data.items.length} users`}
          rows={users.data.items}
          rowKey={(u) => u.id}
          columns={[
            { title: 'Name', cell: (u) => u.name },
            { title: 'Display name', cell: (u) => u.display_name },
            { title: 'Signs in with', cell: (u) => u.source },
            { title: 'Roles', cell: (u) => u.roles.join(', ') || '—' },
            { title: 'State', cell: (u) => <span data-testid={`state-${u.name}`}>{u.enabled ? 'enabled' : 'disabled'}</span> },
            { title: 'MFA', cell: (u) => (u.mfa_enabled ? 'on' : 'off') },
            {
              title: 'Actions',
              cell: (u) =>
                admin && u.id !== session.user.id ? (
                  <span class="actions">
                    {roles.state === 'ok' && (
                      <button type="button" onClick={() => setEditing(u)}>
                        <Named verb="Roles" what={`of ${u.name}`} />
                      </button>
                    )}
                    {button(u, u.enabled ? 'disable' : 'enable')}
                    {button(u, 'end-sessions')}
                    {u.mfa_enabled && button(u, 'reset-mfa')}
                  </span>
                ) : (
                  ''
                ),
            },
          ]}
        />
      )}
      {action && (
        <Confirm
          title={`${LABELS[action.what]} ${action.user.name}?`}
          action={LABELS[action.what]}
          onConfirm={() => act.run(action)}
          onCancel={() => (setAction(null), act.clear())}
          error={act.error}
        >
          <p>{EFFECTS[action.what]}</p>
        </Confirm>
      )}
      {editing && roles.state === 'ok' && (
        <RolesForm key={editing.id} user={editing} roles={roles.data} onDone={() => (setEditing(null), reload())} onCancel={() => setEditing(null)} />
      )}
      {admin && roles.state === 'ok' && <NewUser roles={roles.data} onDone={reload} />}
    </section>
  );
}
