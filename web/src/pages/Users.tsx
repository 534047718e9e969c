// Users.tsx: user administration (users.read to see, users.admin to act): who may sign
// in, from where (local, LDAP, OpenID), with which roles, whether MFA is on; disable or
// enable a user, end their sessions, or reset a lost authenticator, each after a
// confirmation. The server refuses an administrator locking themselves out.
import { useState } from 'preact/hooks';
import { api, Page } from '../lib/api';
import { can, useSession } from '../lib/session';
import { Confirm, Empty, ErrorBox, Loading, Table, useAction, useGet } from '../lib/ui';

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

export function Users() {
  const { session } = useSession();
  const [users, reload] = useGet<Page<User>>('/api/v1/users?limit=1000');
  const [action, setAction] = useState<Action | null>(null);
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
      {LABELS[what]} {user.name}
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
    </section>
  );
}
