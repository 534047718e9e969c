// Home.tsx: the overview after sign-in: who is signed in, with what roles and permissions.
import { useSession } from '../lib/session';

export function Home() {
  const { session } = useSession();
  return (
    <section aria-labelledby="home-title">
      <h1 id="home-title">Welcome, {session.user.display_name || session.user.name}</h1>
      <p>
        Roles: <strong>{session.roles.join(', ') || 'none'}</strong>. Session ends at{' '}
        <time dateTime={session.expires}>{new Date(session.expires).toLocaleString()}</time> (or after{' '}
        {Math.round(session.idle_timeout_s / 60)} minutes unused).
      </p>
      <details>
        <summary>Permissions ({session.permissions.length})</summary>
        <ul class="perms">
          {session.permissions.map((p) => (
            <li key={p}>
              <code>{p}</code>
            </li>
          ))}
        </ul>
      </details>
    </section>
  );
}
