// SignIn.tsx: the sign-in page: name and password, then the authenticator code (or a
// recovery code) when the server asks for it, and the single sign-on button when the
// server has a provider. Credentials live only in the form's state while it is shown.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../lib/api';
import { AuthMethods, Session, signIn } from '../lib/session';
import { ErrorBox, Field } from '../lib/ui';

/* What the server's sso_error codes mean (fixed words: nothing from the URL is shown). */
const SSO_ERRORS: Record<string, string> = {
  state: 'This single sign-on was not started here, took longer than 10 minutes, or was already used. Please start again.',
  provider: 'The identity provider did not sign you in.',
  token: "Gatehouse refused the identity provider's answer. Your administrator can see why in the server log.",
  account: 'Your account may not sign in here (no gatehouse role, no second factor reported by the identity provider, or disabled). Please ask your administrator.',
  unavailable: 'The identity provider cannot be reached. Try again, or sign in with a password.',
  busy: 'Single sign-on is busy. Please try again in a few seconds.',
};

export function SignIn({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [useRecovery, setUseRecovery] = useState(false);
  const [step, setStep] = useState<'password' | 'code'>('password');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [methods, setMethods] = useState<AuthMethods | null>(null);
  const ssoCode = new URLSearchParams(location.search).get('sso_error');
  const ssoError = ssoCode === null ? null : SSO_ERRORS[ssoCode] ?? SSO_ERRORS.token;

  useEffect(() => {
    api<AuthMethods>('GET', '/api/v1/auth/methods').then(setMethods, () => setMethods(null));
  }, []);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const second = step === 'code' ? (useRecovery ? { recovery_code: code } : { code }) : undefined;
      const s = await signIn(name, password, second);
      setPassword('');
      setCode('');
      onSignedIn(s);
    } catch (err) {
      if (err instanceof ApiError && err.slug === 'mfa-required') {
        setStep('code');
      } else {
        setError(err);
        if (step === 'code') setCode('');
      }
    } finally {
      setBusy(false);
    }
  }

  const back = encodeURIComponent(location.pathname === '/sign-in' ? '/' : location.pathname);
  return (
    <main class="sign-in" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in to gatehouse</h1>
      {ssoError && <ErrorBox error={new ApiError(401, 'sso', ssoError)} />}
      <form onSubmit={submit} aria-describedby={error ? 'sign-in-error' : undefined}>
        {step === 'password' ? (
          <>
            <Field id="name" label="Name" value={name} onInput={setName} autocomplete="username" required autofocus />
            <Field id="password" label="Password" type="password" value={password} onInput={setPassword} autocomplete="current-password" required />
          </>
        ) : (
          <>
            <p>
              Signed in as <strong>{name}</strong>: enter {useRecovery ? 'one of your recovery codes' : 'the 6-digit code from your authenticator app'}.
            </p>
            <Field
              id="code"
              label={useRecovery ? 'Recovery code' : 'Authentication code'}
              value={code}
              onInput={setCode}
              autocomplete="one-time-code"
              inputmode={useRecovery ? 'text' : 'numeric'}
              required
              autofocus
            />
            <button type="button" class="link" onClick={() => { setUseRecovery(!useRecovery); setCode(''); }}>
              {useRecovery ? 'Use the authenticator app instead' : 'Use a recovery code instead'}
            </button>
          </>
        )}
        {error !== null && (
          <div id="sign-in-error">
            <ErrorBox error={error} />
          </div>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : step === 'code' ? 'Verify' : 'Sign in'}
        </button>
      </form>
      {methods?.oidc && (
        <p class="sso">
          <a class="button" href={`${methods.oidc.start}?return_to=${back}`}>
            {methods.oidc.label}
          </a>
        </p>
      )}
    </main>
  );
}
