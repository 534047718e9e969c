// Home.tsx: the overview after sign-in: who is signed in, with what roles and permissions.
import { useSession } from '../lib/session';
import { Permissions } from '../lib/ui';

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
      <Permissions perms={session.permissions} summary={`Permissions (${session.permissions.length})`} />
    </section>
  );
}
