// router.ts: path routing for the console (the server answers every console path with
// index.html): the current path (and query) as a hook, and navigation without a page load.
import { useEffect, useMemo, useState } from 'preact/hooks';

const listeners = new Set<() => void>();

export function navigate(path: string): void {
  if (path !== location.pathname + location.search) history.pushState(null, '', path);
  listeners.forEach((f) => f());
}

/** The current path and query string; changes with navigate() and the back button. */
export function useLocation(): { path: string; query: URLSearchParams } {
  const [loc, setLoc] = useState(location.pathname + location.search);
  useEffect(() => {
    const update = () => setLoc(location.pathname + location.search);
    listeners.add(update);
    addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      removeEventListener('popstate', update);
    };
  }, []);
  return useMemo(() => {
    const q = loc.indexOf('?');
    return q < 0
      ? { path: loc, query: new URLSearchParams() }
      : { path: loc.slice(0, q), query: new URLSearchParams(loc.slice(q + 1)) };
  }, [loc]);
}

export function usePath(): string {
  return useLocation().path;
}

/** Props for an <a> that navigates inside the console. */
export function link(path: string) {
  return {
    href: path,
    onClick: (e: MouseEvent) => {
      if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      e.preventDefault();
      navigate(path);
    },
  };
}
