// Enroll.tsx: two-factor enrollment, required before a privileged role may act: the
// password again, then the QR code (or the otpauth:// key) for the authenticator app, a
// first code to confirm it, and the recovery codes, shown once.
import { useState } from 'preact/hooks';
import { api } from '../lib/api';
import { Session } from '../lib/session';
import { ErrorBox, Field, fieldError } from '../lib/ui';

interface Enrollment {
  otpauth_uri: string;
  qr_svg: string;
}

/** embedded: set up by choice from the account page (a section, not the whole screen). */
export function Enroll({ session, onDone, embedded = false }: { session: Session; onDone: (s: Session) => void; embedded?: boolean }) {
  const Box = embedded ? 'section' : 'main';
  const Title = embedded ? 'h3' : 'h1';
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [enrollment, setEnrollment] = useState<Enrollment | null>(null);
  const [done, setDone] = useState<{ codes: string[]; session: Session } | null>(null);
  const [error, setError] = useState<unknown>(null);

  async function begin(e: Event) {
    e.preventDefault();
    setError(null);
    try {
      setEnrollment(await api<Enrollment>('POST', '/api/v1/auth/mfa/enroll', { password }));
      setPassword('');
    } catch (err) {
      setError(err);
    }
  }

  async function confirm(e: Event) {
    e.preventDefault();
    setError(null);
    try {
      const r = await api<{ recovery_codes: string[]; session: Session }>('POST', '/api/v1/auth/mfa/confirm', { code });
      setDone({ codes: r.recovery_codes, session: r.session });
    } catch (err) {
      setError(err);
      setCode('');
    }
  }

  if (done)
    return (
      <Box class={embedded ? '' : 'narrow'} aria-labelledby="enroll-title">
        <Title id="enroll-title">Two-factor sign-in is on</Title>
        <p>Keep these recovery codes somewhere safe. Each works once, if the authenticator app is lost. They are not shown again.</p>
        <ul class="codes" aria-label="Recovery codes">
          {done.codes.map((c) => (
            <li key={c}>
              <code>{c}</code>
            </li>
          ))}
        </ul>
        <button class="primary" type="button" onClick={() => onDone(done.session)}>
          Continue
        </button>
      </Box>
    );
  return (
    <Box class={embedded ? '' : 'narrow'} aria-labelledby="enroll-title">
      <Title id="enroll-title">Set up two-factor sign-in</Title>
      <p>
        {embedded
          ? 'A second factor: an authenticator app on your phone, asked for at each sign-in.'
          : `Your roles (${session.roles.join(', ')}) need a second factor: an authenticator app on your phone. Nothing else is available until it is set up.`}
      </p>
      {!enrollment ? (
        <form onSubmit={begin}>
          <Field id="password" label="Your password, again" type="password" value={password} onInput={setPassword} autocomplete="current-password" required autofocus />
          {error !== null && <ErrorBox error={error} />}
          <button class="primary" type="submit">
            Show the code to scan
          </button>
        </form>
      ) : (
        <form onSubmit={confirm}>
          <img class="qr" alt="QR code of the authenticator key" src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(enrollment.qr_svg)}`} />
          <details>
            <summary>Cannot scan? Enter the key by hand</summary>
            <code class="wrap" data-testid="otpauth-uri">{enrollment.otpauth_uri}</code>
          </details>
          <Field id="code" label="The 6-digit code the app shows" value={code} onInput={setCode} autocomplete="one-time-code" inputmode="numeric" required autofocus error={fieldError(error, 'code')} />
          {error !== null && !fieldError(error, 'code') && <ErrorBox error={error} />}
          <button class="primary" type="submit">
            Confirm
          </button>
        </form>
      )}
    </Box>
  );
}
