// ui.tsx: the building blocks every page shares: loading, empty and error states, a data
// hook that gives one of them or the data, a table, and a field with its label and error.
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useId, useRef, useState } from 'preact/hooks';
import { api, ApiError } from './api';

export function Loading({ what }: { what: string }) {
  return (
    <p class="state" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="state empty">{children}</p>;
}

export function ErrorBox({ error, retry }: { error: unknown; retry?: () => void }) {
  const msg = error instanceof ApiError ? error.message : 'Something went wrong in the console.';
  return (
    <div class="state error" role="alert">
      <p>{msg}</p>
      {retry && (
        <button type="button" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

export type Loaded<T> = { state: 'loading' } | { state: 'error'; error: unknown } | { state: 'ok'; data: T };

/** GETs path (again when reload() is called or path changes). A null path asks nothing
 * and gives `otherwise` (a page that may not read something shows it without). A reload
 * keeps showing what was there until the new answer arrives (no flash of "Loading"). */
export function useGet<T>(path: string | null, otherwise?: T): [Loaded<T>, () => void] {
  const [res, setRes] = useState<Loaded<T>>(path === null ? { state: 'ok', data: otherwise as T } : { state: 'loading' });
  const [tick, setTick] = useState(0);
  const shown = useRef<string | null>(null); /* the path whose data is on screen */
  useEffect(() => {
    let live = true;
    if (path === null) {
      setRes({ state: 'ok', data: otherwise as T });
      return;
    }
    if (shown.current !== path) setRes({ state: 'loading' });
    else setRes((r) => (r.state === 'error' ? { state: 'loading' } : r)); /* "Try again" shows it tries */
    shown.current = path;
    api<T>('GET', path).then(
      (data) => live && setRes({ state: 'ok', data }),
      (error) => live && setRes({ state: 'error', error }),
    );
    return () => {
      live = false;
    };
  }, [path, tick]);
  return [res, useCallback(() => setTick((t) => t + 1), [])];
}

/** value, once it has not changed for ms (a search box asks the server after typing stops). */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return settled;
}

export interface Column<T> {
  title: string;
  cell: (row: T) => ComponentChildren;
}

export function Table<T>({ caption, columns, rows, rowKey }: {
  caption: string;
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string | number;
}) {
  return (
    <div class="table-wrap">
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th scope="col" key={c.title}>
                {c.title}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={rowKey(r)}>
              {columns.map((c) => (
                <td key={c.title}>{c.cell(r)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A labelled input; error (from a problem's errors) is announced and linked to it. */
export function Field(props: {
  id: string;
  label: string;
  type?: string;
  value: string;
  onInput: (v: string) => void;
  autocomplete?: string;
  error?: string;
  required?: boolean;
  inputmode?: 'numeric' | 'text';
  autofocus?: boolean;
}) {
  const err = props.error ? `${props.id}-error` : undefined;
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        name={props.id}
        type={props.type ?? 'text'}
        value={props.value}
        autocomplete={props.autocomplete}
        inputMode={props.inputmode}
        required={props.required}
        autoFocus={props.autofocus}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={err}
        onInput={(e) => props.onInput((e.target as HTMLInputElement).value)}
      />
      {props.error && (
        <p class="field-error" id={err}>
          {props.error}
        </p>
      )}
    </div>
  );
}

/** A labelled select; options are [value, words]; error as for Field. */
export function Select(props: {
  id: string;
  label: string;
  value: string;
  onChange: (v: string) => void;
  options: [string, string][];
  error?: string;
}) {
  const err = props.error ? `${props.id}-error` : undefined;
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <select
        id={props.id}
        value={props.value}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={err}
        onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)}
      >
        {props.options.map(([v, words]) => (
          <option key={v} value={v}>
            {words}
          </option>
        ))}
      </select>
      {props.error && (
        <p class="field-error" id={err}>
          {props.error}
        </p>
      )}
    </div>
  );
}

/** The message for one field of an ApiError (validation problems name their fields). */
export function fieldError(e: unknown, field: string): string | undefined {
  return e instanceof ApiError ? e.errors.find((f) => f.field === field)?.detail : undefined;
}

/** The caller's permissions, folded away under summary. */
export function Permissions({ perms, summary }: { perms: string[]; summary: string }) {
  return (
    <details>
      <summary>{summary}</summary>
      <ul class="perms">
        {perms.map((p) => (
          <li key={p}>
            <code>{p}</code>
          </li>
        ))}
      </ul>
    </details>
  );
}

/** Tab and Shift+Tab cycle inside box (a modal dialog keeps the focus). */
function keepFocusIn(box: HTMLElement, e: KeyboardEvent) {
  const all = [...box.querySelectorAll<HTMLElement>('button, input, select, textarea, a[href]')].filter((el) => !el.hasAttribute('disabled'));
  if (all.length === 0) return;
  const first = all[0];
  const last = all[all.length - 1];
  if (e.shiftKey && document.activeElement === first) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && document.activeElement === last) {
    e.preventDefault();
    first.focus();
  }
}

/** Moves the focus into a form that opens on demand (an edit form below a table) and
 * scrolls it into view, so the user sees where to type. */
export function useFocusOnOpen<T extends HTMLElement>() {
  const ref = useRef<T>(null);
  useEffect(() => {
    ref.current?.scrollIntoView({ block: 'nearest' });
    ref.current?.querySelector<HTMLElement>('input, select, textarea')?.focus();
  }, []);
  return ref;
}

/** A change the user confirms first: what it does, the button that does it, Cancel; the
 * server's refusal is shown in place. */
export function Confirm(props: {
  title: string;
  children: ComponentChildren;
  action: string;
  onConfirm: () => void;
  onCancel: () => void;
  error: unknown;
}) {
  const id = useId();
  const primary = useRef<HTMLButtonElement>(null);
  /* the focus goes to the dialog's button, and back where it was when the dialog closes */
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    primary.current?.focus();
    return () => before?.focus?.();
  }, []);
  return (
    <div
      role="alertdialog"
      aria-modal="true"
      aria-labelledby={id}
      class="confirm"
      onKeyDown={(e) => {
        if (e.key === 'Escape') props.onCancel();
        if (e.key === 'Tab') keepFocusIn(e.currentTarget as HTMLElement, e);
      }}
    >
      <h3 id={id}>{props.title}</h3>
      {props.children}
      {props.error !== null && props.error !== undefined && <ErrorBox error={props.error} />}
      <p>
        <button type="button" class="primary" onClick={props.onConfirm} ref={primary}>
          {props.action}
        </button>{' '}
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </p>
    </div>
  );
}

/** Runs a change (an API call) and keeps its error for the page to show: run() resolves
 * true when it worked (then `done` is called), false when the server refused. */
export function useAction<A extends unknown[]>(fn: (...args: A) => Promise<unknown>, done?: () => void) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const run = async (...args: A): Promise<boolean> => {
    setError(null);
    setBusy(true);
    try {
      await fn(...args);
      done?.();
      return true;
    } catch (e) {
      setError(e);
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { run, error, busy, clear: () => setError(null) };
}

/** A button's words with what it acts on for screen readers only ("Delete" that a screen
 * reader says as "Delete B1 Lobby"), where the row already shows what. */
export function Named({ verb, what }: { verb: string; what: string }) {
  return (
    <>
      {verb}
      <span class="sr-only"> {what}</span>
    </>
  );
}
