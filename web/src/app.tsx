// app.tsx: the console's shell: the session (sign-in and MFA enrollment first), the
// layout with navigation filtered by the caller's permissions, the theme, and the routes.
// A new page is a file under pages/ and one line in PAGES.
import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { setCsrf } from './lib/api';
import { can, loadSession, Session, SessionContext, signOut } from './lib/session';
import { link, navigate, usePath } from './lib/router';
import { ErrorBox, Loading } from './lib/ui';
import { Account } from './pages/Account';
import { Audit } from './pages/Audit';
import { Devices } from './pages/Devices';
import { Directory } from './pages/Directory';
import { Drills } from './pages/Drills';
import { Doors } from './pages/Doors';
import { Enroll } from './pages/Enroll';
import { Home } from './pages/Home';
import { Incidents } from './pages/Incidents';
import { Investigate } from './pages/Investigate';
import { Levels } from './pages/Levels';
import { Monitor } from './pages/Monitor';
import { People } from './pages/People';
import { Schedules } from './pages/Schedules';
import { SignIn } from './pages/SignIn';
import { Sites } from './pages/Sites';
import { Users } from './pages/Users';

interface PageDef {
  path: string;
  title: string;
  perm: string | null; /* shown in the navigation only with this permission */
  page: ComponentType;
  nav?: false; /* reached another way (the account, from the user's name) */
}

const PAGES: PageDef[] = [
  { path: '/', title: 'Overview', perm: null, page: Home },
  { path: '/monitor', title: 'Monitor', perm: 'events.read', page: Monitor },
  { path: '/incidents', title: 'Incidents', perm: 'incidents.read', page: Incidents },
  { path: '/investigate', title: 'Investigate', perm: 'events.read', page: Investigate },
  { path: '/people', title: 'People', perm: 'people.read', page: People },
  { path: '/doors', title: 'Doors', perm: 'doors.read', page: Doors },
  { path: '/devices', title: 'Devices', perm: 'doors.read', page: Devices },
  { path: '/sites', title: 'Sites', perm: 'sites.read', page: Sites },
  { path: '/schedules', title: 'Schedules', perm: 'schedules.read', page: Schedules },
  { path: '/levels', title: 'Access levels', perm: 'levels.read', page: Levels },
  { path: '/users', title: 'Users', perm: 'users.read', page: Users },
  { path: '/directory', title: 'Who to call', perm: 'directory.read', page: Directory },
  { path: '/drills', title: 'Drills', perm: 'drills.run', page: Drills },
  { path: '/audit', title: 'Audit log', perm: 'audit.read', page: Audit },
  { path: '/account', title: 'Your account', perm: null, page: Account, nav: false },
];

type Theme = 'dark' | 'light';

function useTheme(): [Theme, () => void] {
  const [theme, setTheme] = useState<Theme>((localStorage.getItem('gh-theme') as Theme) || 'dark');
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem('gh-theme', theme); /* a preference, never a credential */
  }, [theme]);
  return [theme, () => setTheme(theme === 'dark' ? 'light' : 'dark')];
}

export function App() {
  const [session, keepSession] = useState<Session | null | undefined>(undefined);
  /* every new session (sign-in, MFA enrollment, password change) brings its CSRF token */
  const setSession = (s: Session | null) => {
    setCsrf(s?.csrf_token ?? '');
    keepSession(s);
  };
  const [error, setError] = useState<unknown>(null);
  const [theme, toggleTheme] = useTheme();
  const path = usePath();

  useEffect(() => {
    loadSession().then(setSession, setError);
  }, []);

  if (error !== null) return <ErrorBox error={error} retry={() => location.reload()} />;
  if (session === undefined) return <Loading what="the console" />;
  if (session === null) return <SignIn onSignedIn={setSession} />;
  if (session.mfa_enrollment_required) return <Enroll session={session} onDone={setSession} />;

  const pages = PAGES.filter((p) => p.perm === null || can(session, p.perm));
  /* a page owns its path and the paths below it (/people/12) */
  const current = pages.find((p) => p.path === path || (p.path !== '/' && path.startsWith(p.path + '/')));
  const Page = current?.page;
  async function out() {
    try {
      await signOut();
    } finally {
      setSession(null);
      navigate('/');
    }
  }
  return (
    <SessionContext.Provider value={{ session, setSession }}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">gatehouse</span>
        <nav aria-label="Main">
          <ul>
            {pages.filter((p) => p.nav !== false).map((p) => (
              <li key={p.path}>
                <a {...link(p.path)} aria-current={p === current ? 'page' : undefined}>
                  {p.title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <a {...link('/account')} aria-current={current?.path === '/account' ? 'page' : undefined} title="Your account">
            {session.user.display_name || session.user.name} <small>({session.roles.join(', ') || 'no role'})</small>
          </a>
          <button type="button" onClick={toggleTheme} aria-label={`Switch to the ${theme === 'dark' ? 'light' : 'dark'} theme`}>
            {theme === 'dark' ? 'Light' : 'Dark'}
          </button>
          <button type="button" onClick={out}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {Page ? <Page /> : <ErrorBox error={new Error('no page')} />}
      </main>
    </SessionContext.Provider>
  );
}
