// names.tsx: who and which card an event names, shown by name: a person's or credential's
// row is fetched once per console session (at most a few at a time) and shared by every
// row that names it. Without the permission to read it, or while the server cannot answer,
// the id is shown.
import { useEffect, useState } from 'preact/hooks';
import { api } from './api';
import { can, useSession } from './session';

interface Person {
  first_name: string;
  last_name: string;
  employee_id: string;
}
interface Credential {
  format: string;
  facility: number;
  number: number;
}

const cache = new Map<string, Promise<string>>();
const queue: (() => void)[] = [];
let running = 0;
const MAX_PARALLEL = 4;

function pump() {
  while (running < MAX_PARALLEL && queue.length) {
    running++;
    queue.shift()!();
  }
}

function fetchName(path: string, words: (row: never) => string, fallback: string): Promise<string> {
  let p = cache.get(path);
  if (!p) {
    p = new Promise<string>((done) => {
      queue.push(() =>
        api<never>('GET', path)
          .then(words, () => {
            cache.delete(path); /* asked again next time: a failure is not remembered */
            return fallback;
          })
          .then(done)
          .finally(() => {
            running--;
            pump();
          }),
      );
      pump();
    });
    cache.set(path, p);
  }
  return p;
}

export const personWords = (p: Person) => `${p.first_name} ${p.last_name} (${p.employee_id})`;
export const cardWords = (c: Credential) => `${c.format}:${c.facility}:${c.number}`;

function useName(kind: 'person' | 'credential', id: number | null): string {
  const { session } = useSession();
  const allowed = can(session, kind === 'person' ? 'people.read' : 'credentials.read');
  const fallback = id === null ? '' : `#${id}`;
  const [name, setName] = useState(fallback);
  useEffect(() => {
    if (id === null || !allowed) return;
    let live = true;
    /* a person by id through the list: naming someone is not opening their record (which
       the audit log records) */
    const path = kind === 'person' ? `/api/v1/people?id=${id}&limit=1` : `/api/v1/credentials/${id}`;
    const words = kind === 'person' ? (pg: { items: Person[] }) => (pg.items.length ? personWords(pg.items[0]) : fallback) : cardWords;
    fetchName(path, words as (row: never) => string, fallback).then(
      (n) => live && setName(n),
    );
    return () => {
      live = false;
    };
  }, [kind, id, allowed]);
  return name;
}

export function PersonName({ id }: { id: number | null }) {
  return <>{useName('person', id)}</>;
}

export function CardName({ id }: { id: number | null }) {
  return <>{useName('credential', id)}</>;
}
