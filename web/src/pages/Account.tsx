// Account.tsx: the signed-in user's own account (/account, linked from their name): who
// they are and what their roles allow, the password, two-factor sign-in, where they are
// signed in (each other session can be ended), and their API tokens (made with a scope and
// an expiry, the secret shown once; revoked after a confirmation).
import { useState } from 'preact/hooks';
import { api, Page } from '../lib/api';
import { navigate } from '../lib/router';
import { Session, useSession } from '../lib/session';
import { Confirm, Empty, ErrorBox, Field, fieldError, Loading, Named, Permissions, Table, useAction, useGet } from '../lib/ui';
import { Enroll } from './Enroll';

interface OwnSession {
  id: number;
  address: string;
  created: string;
  last_seen: string;
  expires: string;
  current: boolean;
}

interface Token {
  id: number;
  name: string;
  scope: string[];
  created: string;
  expires: string | null;
  state: string;
}

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : 'never');

function Password() {
  const { session, setSession } = useSession();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  async function change(e: Event) {
    e.preventDefault();
    setError(null);
    setDone(false);
    try {
      const s = await api<Session>('POST', '/api/v1/auth/password', { current_password: current, new_password: next });
      setCurrent('');
      setNext('');
      setDone(true);
      setSession(s); /* the session continues under a new id and CSRF token */
    } catch (err) {
      setError(err);
    }
  }
  return (
    <section aria-labelledby="pw-title">
      <h2 id="pw-title">Password</h2>
      <form onSubmit={change} class="narrow-form">
        <Field id="pw-current" label="Current password" type="password" value={current} onInput={setCurrent} autocomplete="current-password" required error={fieldError(error, 'current_password')} />
        <Field id="pw-new" label={`New password (${session.mfa_enabled ? 12 : 15} characters or more, as the server requires; a passphrase is best)`} type="password" value={next} onInput={setNext} autocomplete="new-password" required error={fieldError(error, 'new_password')} />
        {error !== null && !fieldError(error, 'new_password') && !fieldError(error, 'current_password') && <ErrorBox error={error} />}
        {done && (
          <p role="status" class="ok">
            Password changed. Your other sessions were signed out.
          </p>
        )}
        <button type="submit" class="primary">
          Change password
        </button>
      </form>
    </section>
  );
}

function SecondFactor() {
  const { session, setSession } = useSession();
  const [enrolling, setEnrolling] = useState(false);
  return (
    <section aria-labelledby="mfa-title">
      <h2 id="mfa-title">Two-factor sign-in</h2>
      {session.mfa_enabled ? (
        <p>On: sign-in asks for a code from your authenticator app (or a recovery code).</p>
      ) : enrolling ? (
        <Enroll session={session} embedded onDone={(s) => (setEnrolling(false), setSession(s))} />
      ) : (
        <p>
          Off.{' '}
          <button type="button" onClick={() => setEnrolling(true)}>
            Set up two-factor sign-in
          </button>
        </p>
      )}
    </section>
  );
}

function Sessions() {
  const { setSession } = useSession();
  const [list, reload] = useGet<{ items: OwnSession[] }>('/api/v1/auth/sessions');
  const [error, setError] = useState<unknown>(null);
  async function end(s: OwnSession) {
    setError(null);
    try {
      await api('DELETE', `/api/v1/auth/sessions/${s.id}`);
      if (s.current) {
        setSession(null);
        navigate('/');
      } else reload();
    } catch (e) {
      setError(e);
    }
  }
  return (
    <section aria-labelledby="sessions-title">
      <h2 id="sessions-title">Where you are signed in</h2>
      {error !== null && <ErrorBox error={error} />}
      {list.state === 'loading' && <Loading what="your sessions" />}
      {list.state === 'error' && <ErrorBox error={list.error} retry={reload} />}
      {list.state === 'ok' && (
        <Table
          caption={`${list.data.items.length} session${list.data.items.length === 1 ? '' : 's'}`}
          rows={list.data.items}
          rowKey={(s) => s.id}
          columns={[
            { title: 'From', cell: (s) => s.address },
            { title: 'Signed in', cell: (s) => when(s.created) },
            { title: 'Last active', cell: (s) => when(s.last_seen) },
            { title: 'Ends at the latest', cell: (s) => when(s.expires) },
            {
              title: 'Action',
              cell: (s) =>
                s.current ? (
                  <span data-testid="this-session">this session</span>
                ) : (
                  <button type="button" onClick={() => end(s)}>
                    Sign out<span class="sr-only"> the session from {s.address} since {when(s.created)}</span>
                  </button>
                ),
            },
          ]}
        />
      )}
    </section>
  );
}

function NewToken({ onMade }: { onMade: () => void }) {
  const [name, setName] = useState('');
  const [scope, setScope] = useState('read');
  const [days, setDays] = useState('90');
  const [error, setError] = useState<unknown>(null);
  const [secret, setSecret] = useState<string | null>(null);
  async function make(e: Event) {
    e.preventDefault();
    setError(null);
    try {
      const t = await api<{ token: string }>('POST', '/api/v1/tokens', {
        name,
        scope,
        ...(days ? { expires_in_days: Number(days) } : {}),
      });
      setSecret(t.token);
      setName('');
      onMade();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <form onSubmit={make} class="narrow-form" aria-labelledby="newtoken-title">
      <h3 id="newtoken-title">New token</h3>
      <Field id="tok-name" label="Name (what uses it)" value={name} onInput={setName} required error={fieldError(error, 'name')} />
      <Field
        id="tok-scope"
        label="Scope: permissions, comma-separated (read, events.read, doors.*); never more than your roles allow"
        value={scope}
        onInput={setScope}
        required
        error={fieldError(error, 'scope')}
      />
      <Field id="tok-days" label="Expires after (days, empty: never)" value={days} onInput={setDays} inputmode="numeric" error={fieldError(error, 'expires_in_days')} />
      {error !== null && !['name', 'scope', 'expires_in_days'].some((f) => fieldError(error, f)) && <ErrorBox error={error} />}
      <button type="submit" class="primary">
        Make the token
      </button>
      {secret && (
        <div class="secret" role="status">
          <p>The token, shown this once (it is stored hashed): copy it now.</p>
          <code class="wrap" data-testid="token-secret">
            {secret}
          </code>
        </div>
      )}
    </form>
  );
}

function Tokens() {
  const [list, reload] = useGet<Page<Token>>('/api/v1/tokens?limit=200');
  const [confirm, setConfirm] = useState<Token | null>(null);
  const revoke = useAction((t: Token) => api('DELETE', `/api/v1/tokens/${t.id}`), () => (setConfirm(null), reload()));
  return (
    <section aria-labelledby="tokens-title">
      <h2 id="tokens-title">API tokens</h2>
      {list.state === 'loading' && <Loading what="your tokens" />}
      {list.state === 'error' && <ErrorBox error={list.error} retry={reload} />}
      {list.state === 'ok' &&
        (list.data.items.length === 0 ? (
          <Empty>No tokens. A token lets a script or another system call the API as you, within its scope.</Empty>
        ) : (
          <Table
            caption="Your tokens"
            rows={list.data.items}
            rowKey={(t) => t.id}
            columns={[
              { title: 'Name', cell: (t) => t.name },
              { title: 'Scope', cell: (t) => <code>{t.scope.join(', ')}</code> },
              { title: 'Made', cell: (t) => when(t.created) },
              { title: 'Expires', cell: (t) => when(t.expires) },
              { title: 'State', cell: (t) => t.state },
              {
                title: 'Action',
                cell: (t) =>
                  t.state === 'active' && (
                    <button type="button" onClick={() => setConfirm(t)}>
                      <Named verb="Revoke" what={t.name} />
                    </button>
                  ),
              },
            ]}
          />
        ))}
      {confirm && (
        <Confirm
          title={`Revoke the token ${confirm.name}?`}
          action="Revoke"
          onConfirm={() => revoke.run(confirm)}
          onCancel={() => (setConfirm(null), revoke.clear())}
          error={revoke.error}
        >
          <p>Whatever uses it is refused from its next call.</p>
        </Confirm>
      )}
      <NewToken onMade={reload} />
    </section>
  );
}

export function Account() {
  const { session } = useSession();
  return (
    <div class="account">
      <h1>Your account</h1>
      <section aria-labelledby="you-title">
        <h2 id="you-title">{session.user.display_name || session.user.name}</h2>
        <p>
          Signed in as <strong>{session.user.name}</strong>
          {session.user.email && ` (${session.user.email})`}; roles: {session.roles.join(', ') || 'none'}.
        </p>
        <Permissions perms={session.permissions} summary={`What your roles allow (${session.permissions.length} permissions)`} />
      </section>
      {/* a new session (after a password change) lists them again */}
      <Sessions key={session.csrf_token} />
      <Tokens />
      <SecondFactor />
      <Password />
    </div>
  );
}
