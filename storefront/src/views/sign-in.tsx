import { useApolloClient, useMutation } from '@apollo/client/react';
import { useState, type FormEvent } from 'react';
import { errorCode, messageFor } from '../errors';
import { SignInDocument, SignUpDocument } from '../gql/graphql';
import { navigate } from '../router';
import { setToken } from '../session';

/** Sign in (with the one-time code step when the account has 2FA) or sign up. */
export function SignIn() {
  const client = useApolloClient();
  const [mode, setMode] = useState<'signin' | 'signup'>('signin');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [name, setName] = useState('');
  const [totp, setTotp] = useState('');
  const [needsCode, setNeedsCode] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [signIn, signingIn] = useMutation(SignInDocument);
  const [signUp, signingUp] = useMutation(SignUpDocument);
  const busy = signingIn.loading || signingUp.loading;

  async function done(token: string) {
    setToken(token);
    await client.resetStore();
    navigate('#/');
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setMessage(null);
    try {
      if (mode === 'signup') {
        const { data } = await signUp({ variables: { input: { email, password, name } } });
        if (data) await done(data.register.token);
        return;
      }
      const { data } = await signIn({ variables: { input: { email, password, totp: needsCode ? totp : null } } });
      if (data) await done(data.login.token);
    } catch (error) {
      if (errorCode(error) === 'TOTP_REQUIRED') {
        setNeedsCode(true);
        setMessage('This account uses two-factor authentication: enter the code from your authenticator app');
        return;
      }
      setMessage(messageFor(error));
    }
  }

  return (
    <section className="panel narrow">
      <div className="tabs" role="tablist">
        <button role="tab" aria-selected={mode === 'signin'} onClick={() => setMode('signin')}>Sign in</button>
        <button role="tab" aria-selected={mode === 'signup'} onClick={() => setMode('signup')}>Sign up</button>
      </div>
      <form onSubmit={submit} aria-label={mode === 'signin' ? 'Sign in' : 'Sign up'}>
        {mode === 'signup' && (
          <label>
            Name
            <input name="name" value={name} onChange={(e) => setName(e.target.value)} required autoComplete="name" />
          </label>
        )}
        <label>
          Email
          <input name="email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} required autoComplete="email" />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
            autoComplete={mode === 'signin' ? 'current-password' : 'new-password'}
          />
        </label>
        {mode === 'signin' && needsCode && (
          <label>
            One-time code
            <input name="totp" inputMode="numeric" pattern="[0-9]{6}" value={totp} onChange={(e) => setTotp(e.target.value)} required autoComplete="one-time-code" />
          </label>
        )}
        {message && <p className="message" role="alert">{message}</p>}
        <button type="submit" className="primary" disabled={busy}>
          {mode === 'signin' ? 'Sign in' : 'Create account'}
        </button>
      </form>
    </section>
  );
}
